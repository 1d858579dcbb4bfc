//! Outcome counts of a completed activity: attendees by sex, by age band and by public, each
//! breakdown adding up to the total.

use std::collections::BTreeMap;

use super::{
    Violations,
    activity::Public,
    registration::{AgeBand, Sex},
};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: i32,
    pub female: i32,
    pub male: i32,
    pub sex_not_given: i32,
    pub under_26: i32,
    pub age_26_49: i32,
    pub age_50_and_over: i32,
    pub age_not_given: i32,
    pub by_public: BTreeMap<Public, i32>,
}

impl Counts {
    /// Checks entered counts: none negative, each breakdown adds up to the total. `field` is the
    /// request path of these counts (`entered[0].counts`).
    pub fn check(self, field: &str, v: &mut Violations) -> Option<Self> {
        let before = v.0.len();
        let all = [
            ("total", self.total),
            ("female", self.female),
            ("male", self.male),
            ("sex_not_given", self.sex_not_given),
            ("under_26", self.under_26),
            ("age_26_49", self.age_26_49),
            ("age_50_and_over", self.age_50_and_over),
            ("age_not_given", self.age_not_given),
        ];
        for (name, n) in all {
            if n < 0 {
                v.push(format!("{field}.{name}"), "must not be negative");
            }
        }
        if self.by_public.values().any(|n| *n < 0) {
            v.push(format!("{field}.by_public"), "must not be negative");
        }
        if self.female + self.male + self.sex_not_given != self.total {
            v.push(
                format!("{field}.female"),
                "female + male + sex_not_given must equal total",
            );
        }
        if self.under_26 + self.age_26_49 + self.age_50_and_over + self.age_not_given != self.total {
            v.push(
                format!("{field}.under_26"),
                "the age bands (with age_not_given) must add up to total",
            );
        }
        if !self.by_public.is_empty() && self.by_public.values().sum::<i32>() != self.total {
            v.push(format!("{field}.by_public"), "the publics must add up to total");
        }
        (v.0.len() == before).then_some(self)
    }

    /// Counts one attendee.
    pub fn add_person(&mut self, sex: Sex, age: AgeBand, public: Public) {
        self.total += 1;
        match sex {
            Sex::F => self.female += 1,
            Sex::H => self.male += 1,
            Sex::NotGiven => self.sex_not_given += 1,
        }
        match age {
            AgeBand::Under26 => self.under_26 += 1,
            AgeBand::From26To49 => self.age_26_49 += 1,
            AgeBand::From50 => self.age_50_and_over += 1,
            AgeBand::NotGiven => self.age_not_given += 1,
        }
        *self.by_public.entry(public).or_default() += 1;
    }

    pub fn add(&mut self, o: &Counts) {
        self.total += o.total;
        self.female += o.female;
        self.male += o.male;
        self.sex_not_given += o.sex_not_given;
        self.under_26 += o.under_26;
        self.age_26_49 += o.age_26_49;
        self.age_50_and_over += o.age_50_and_over;
        self.age_not_given += o.age_not_given;
        for (p, n) in &o.by_public {
            *self.by_public.entry(*p).or_default() += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn counts_built_from_people_always_add_up(people in proptest::collection::vec((0..3u8, 0..4u8, 0..9usize), 0..60)) {
            let mut c = Counts::default();
            for (s, a, p) in people {
                let sex = [Sex::NotGiven, Sex::F, Sex::H][s as usize];
                let age = [AgeBand::NotGiven, AgeBand::Under26, AgeBand::From26To49, AgeBand::From50][a as usize];
                c.add_person(sex, age, Public::ALL[p]);
            }
            let mut v = Violations::default();
            prop_assert!(c.check("x", &mut v).is_some());
        }
    }

    #[test]
    fn counts_that_do_not_add_up_are_refused() {
        let c = Counts {
            total: 30,
            female: 10,
            male: 10,
            sex_not_given: 0,
            age_not_given: 30,
            ..Counts::default()
        };
        let mut v = Violations::default();
        assert!(c.check("entered[0].counts", &mut v).is_none());
        assert_eq!(v.0[0].field, "entered[0].counts.female");
    }
}

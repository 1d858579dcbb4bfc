//! The synthetic Basse-Normandie of `essctl seed demo`, generated from a seed: same seed, same
//! plan. Pure (no I/O): [`plan`] says what to create; `seed.rs` creates it through the APIs.
//!
//! Every name ends with "(démo)" and the datasets' edition says `demo-synthetique`, so nothing
//! here passes for real data. The reference values are real: commune codes, legal categories and
//! NAF codes are taken from `shared/data/` (INSEE Code officiel géographique 2026, catégories
//! juridiques of September 2022, NAF rév. 2), the tables the registry itself validates against.

use std::collections::HashSet;

use ess_proto::observatory::v1::{Indicator, ReportFormat, ReportKind};

/// Marks every generated name as synthetic.
pub const DEMO: &str = "(démo)";

/// Edition of the synthetic URSSAF datasets.
pub const DATASET_EDITION: &str = "demo-synthetique";

/// Campaigns of the demo.
pub const CAMPAIGN_2025: &str = "Mois de l'ESS 2025";
/// See [`CAMPAIGN_2025`].
pub const CAMPAIGN_2026: &str = "Mois de l'ESS 2026";
/// Activities planned after the current campaign.
pub const CAMPAIGN_2027: &str = "Forum ESS et emploi 2027";

/// A small deterministic generator (SplitMix64): enough for demo data, and stable across
/// platforms and versions, which a library generator does not promise.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// The generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x5EED_DE30_E550_2026)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        low + (self.next_u64() % (high - low + 1).max(1) as u64) as i64
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Luhn check digit that completes `body` (digits only).
pub fn luhn_digit(body: &str) -> u8 {
    (0..10u8)
        .find(|d| luhn_ok(&format!("{body}{d}")))
        .expect("one of ten digits always completes a Luhn sum")
}

/// Whether `digits` passes the Luhn check.
pub fn luhn_ok(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b.wrapping_sub(b'0'));
            if i % 2 == 1 {
                let twice = d * 2;
                if twice > 9 { twice - 9 } else { twice }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A SIREN (Luhn-valid) and the SIRET of its head office (NIC `0001x`, Luhn-valid over 14 digits).
pub fn siren_siret(rng: &mut Rng) -> (String, String) {
    let body = format!("{:08}", rng.next_u64() % 100_000_000);
    let siren = format!("{body}{}", luhn_digit(&body));
    let nic_body = format!("{siren}0001");
    let siret = format!("{nic_body}{}", luhn_digit(&nic_body));
    (siren, siret)
}

/// A real commune of Basse-Normandie (INSEE COG 2026, `shared/data/communes_basse_normandie.csv`).
#[derive(Debug, Clone, Copy)]
pub struct Commune {
    /// INSEE code.
    pub code: &'static str,
    /// Name.
    pub name: &'static str,
    /// Département code.
    pub departement: &'static str,
}

/// The communes the demo places partners and activities in: the main towns of each département.
pub const COMMUNES: &[Commune] = &[
    Commune {
        code: "14118",
        name: "Caen",
        departement: "14",
    },
    Commune {
        code: "14047",
        name: "Bayeux",
        departement: "14",
    },
    Commune {
        code: "14366",
        name: "Lisieux",
        departement: "14",
    },
    Commune {
        code: "14762",
        name: "Vire Normandie",
        departement: "14",
    },
    Commune {
        code: "14333",
        name: "Honfleur",
        departement: "14",
    },
    Commune {
        code: "14258",
        name: "Falaise",
        departement: "14",
    },
    Commune {
        code: "14327",
        name: "Hérouville-Saint-Clair",
        departement: "14",
    },
    Commune {
        code: "14437",
        name: "Mondeville",
        departement: "14",
    },
    Commune {
        code: "50129",
        name: "Cherbourg-en-Cotentin",
        departement: "50",
    },
    Commune {
        code: "50502",
        name: "Saint-Lô",
        departement: "50",
    },
    Commune {
        code: "50147",
        name: "Coutances",
        departement: "50",
    },
    Commune {
        code: "50025",
        name: "Avranches",
        departement: "50",
    },
    Commune {
        code: "50218",
        name: "Granville",
        departement: "50",
    },
    Commune {
        code: "50615",
        name: "Valognes",
        departement: "50",
    },
    Commune {
        code: "61001",
        name: "Alençon",
        departement: "61",
    },
    Commune {
        code: "61006",
        name: "Argentan",
        departement: "61",
    },
    Commune {
        code: "61169",
        name: "Flers",
        departement: "61",
    },
    Commune {
        code: "61214",
        name: "L'Aigle",
        departement: "61",
    },
    Commune {
        code: "61293",
        name: "Mortagne-au-Perche",
        departement: "61",
    },
    Commune {
        code: "61145",
        name: "Domfront en Poiraie",
        departement: "61",
    },
];

/// Partner kinds, as the registry's `PartnerKind` numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// ESS enterprise.
    EssEnterprise = 1,
    /// Network of ESS organisations.
    Network = 2,
    /// Employer organisation.
    EmployerOrganisation = 3,
    /// Support structure.
    SupportStructure = 4,
    /// Public body.
    PublicBody = 5,
    /// Training body.
    TrainingBody = 6,
    /// Anything else.
    Other = 7,
}

/// One kind of organisation the demo draws partners from: a kind, a real legal category and NAF
/// code, the SIRENE ESS flag, and how its name starts.
#[derive(Debug, Clone, Copy)]
pub struct Archetype {
    /// Partner kind.
    pub kind: Kind,
    /// INSEE legal category (level III).
    pub legal_category: &'static str,
    /// SIRENE ESS flag: `Some(true)` = O, `Some(false)` = N, `None` = not given.
    pub ess_flag: Option<bool>,
    /// NAF rév. 2 sub-class.
    pub naf: &'static str,
    /// Start of the name; the commune and "(démo)" follow.
    pub stem: &'static str,
    /// Themes recorded on the partner.
    pub themes: &'static [&'static str],
    /// Whether an association (gets an RNA number).
    pub association: bool,
}

const fn a(
    kind: Kind,
    legal_category: &'static str,
    ess_flag: Option<bool>,
    naf: &'static str,
    stem: &'static str,
    themes: &'static [&'static str],
) -> Archetype {
    let association = matches!(legal_category.as_bytes(), [b'9', b'2', ..]);
    Archetype {
        kind,
        legal_category,
        ess_flag,
        naf,
        stem,
        themes,
        association,
    }
}

/// Every kind and every ESS family appears at least once (association, cooperative, mutuelle,
/// fondation, commercial ESS company, outside the ESS).
pub const ARCHETYPES: &[Archetype] = &[
    a(
        Kind::EssEnterprise,
        "9221",
        None,
        "88.99B",
        "Chantier d'insertion Le Jardin partagé",
        &["insertion", "maraîchage"],
    ),
    a(
        Kind::EssEnterprise,
        "5458",
        Some(true),
        "62.01Z",
        "SCOP Octet solidaire",
        &["numérique"],
    ),
    a(
        Kind::EssEnterprise,
        "5558",
        Some(true),
        "43.21A",
        "SCOP Électricité du bocage",
        &["bâtiment", "transition énergétique"],
    ),
    a(
        Kind::EssEnterprise,
        "5560",
        Some(true),
        "38.32Z",
        "SCIC Recyclerie",
        &["réemploi", "économie circulaire"],
    ),
    a(
        Kind::EssEnterprise,
        "6317",
        None,
        "10.51C",
        "Coopérative laitière",
        &["agriculture", "circuits courts"],
    ),
    a(
        Kind::EssEnterprise,
        "8210",
        None,
        "65.12Z",
        "Mutuelle santé",
        &["santé", "protection sociale"],
    ),
    a(
        Kind::EssEnterprise,
        "9300",
        None,
        "87.30A",
        "Fondation Les Tilleuls",
        &["grand âge", "hébergement"],
    ),
    a(
        Kind::EssEnterprise,
        "5710",
        Some(true),
        "56.10A",
        "Restaurant solidaire La Table ouverte",
        &["alimentation", "insertion"],
    ),
    a(
        Kind::EssEnterprise,
        "9220",
        None,
        "90.01Z",
        "Compagnie théâtrale",
        &["culture"],
    ),
    a(
        Kind::EssEnterprise,
        "9220",
        None,
        "93.12Z",
        "Union sportive",
        &["sport"],
    ),
    a(
        Kind::EssEnterprise,
        "9222",
        None,
        "78.20Z",
        "Association intermédiaire Coup de main",
        &["insertion", "emploi"],
    ),
    a(
        Kind::EssEnterprise,
        "9220",
        None,
        "88.91A",
        "Crèche parentale Les Lutins",
        &["petite enfance"],
    ),
    a(
        Kind::EssEnterprise,
        "6316",
        None,
        "01.61Z",
        "CUMA du bocage",
        &["agriculture"],
    ),
    a(
        Kind::Network,
        "9220",
        None,
        "94.99Z",
        "Réseau des acteurs de l'insertion",
        &["insertion", "réseau"],
    ),
    a(
        Kind::Network,
        "5459",
        Some(true),
        "94.12Z",
        "Union régionale des SCOP",
        &["coopération", "réseau"],
    ),
    a(
        Kind::Network,
        "9220",
        None,
        "94.99Z",
        "Mouvement associatif",
        &["vie associative", "réseau"],
    ),
    a(
        Kind::EmployerOrganisation,
        "9220",
        None,
        "94.11Z",
        "Union des employeurs de l'ESS",
        &["dialogue social", "emploi"],
    ),
    a(
        Kind::SupportStructure,
        "9220",
        None,
        "70.22Z",
        "Incubateur d'innovation sociale",
        &["création", "innovation sociale"],
    ),
    a(
        Kind::SupportStructure,
        "9220",
        None,
        "66.19B",
        "Fonds territorial d'amorçage solidaire",
        &["financement", "création"],
    ),
    a(
        Kind::SupportStructure,
        "5560",
        Some(true),
        "70.22Z",
        "Coopérative d'activité et d'emploi",
        &["entrepreneuriat", "création"],
    ),
    a(
        Kind::PublicBody,
        "7210",
        None,
        "84.11Z",
        "Mairie",
        &["politique de la ville"],
    ),
    a(
        Kind::PublicBody,
        "7348",
        None,
        "84.11Z",
        "Communauté d'agglomération",
        &["développement économique"],
    ),
    a(
        Kind::TrainingBody,
        "9220",
        None,
        "85.59A",
        "Centre de formation des acteurs solidaires",
        &["formation"],
    ),
    a(
        Kind::Other,
        "5499",
        Some(false),
        "47.11F",
        "Épicerie de proximité",
        &["commerce"],
    ),
    a(
        Kind::Other,
        "9230",
        None,
        "88.99B",
        "Association d'aide alimentaire",
        &["aide alimentaire", "solidarité"],
    ),
];

/// A partner to register.
#[derive(Debug, Clone)]
pub struct DemoPartner {
    /// Name, ending with "(démo)".
    pub name: String,
    /// Acronym, empty when none.
    pub acronym: String,
    /// SIREN (9 digits).
    pub siren: String,
    /// SIRET (14 digits): the identity `seed demo` finds the partner again by.
    pub siret: String,
    /// Commune.
    pub commune: Commune,
    /// Street address.
    pub address: String,
    /// The archetype it was drawn from.
    pub archetype: Archetype,
    /// RNA number for associations.
    pub rna: String,
    /// SIRENE headcount band and year.
    pub headcount_band: &'static str,
    /// ESUS approval date, for some commercial ESS companies.
    pub esus_from: Option<String>,
}

/// A CRESS membership to open.
#[derive(Debug, Clone)]
pub struct DemoMembership {
    /// Index in [`DemoPlan::partners`].
    pub partner: usize,
    /// YYYY-MM-DD.
    pub from: String,
    /// College.
    pub college: &'static str,
    /// Whether a "mandant".
    pub mandant: bool,
}

/// A network affiliation to record.
#[derive(Debug, Clone)]
pub struct DemoAffiliation {
    /// Index of the member.
    pub partner: usize,
    /// Index of the network.
    pub network: usize,
    /// YYYY-MM-DD.
    pub from: String,
}

/// A PTCE with its members.
#[derive(Debug, Clone)]
pub struct DemoPtce {
    /// Name (unique in the demo), ending with "(démo)".
    pub name: String,
    /// Territory in words.
    pub territory: &'static str,
    /// Index of the lead partner.
    pub lead: usize,
    /// Themes.
    pub themes: Vec<&'static str>,
    /// Whether active (else emerging).
    pub active: bool,
    /// Members (index, YYYY-MM-DD).
    pub members: Vec<(usize, String)>,
}

/// Initiative kinds, as the registry numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitiativeKind {
    /// Social innovation.
    SocialInnovation = 1,
    /// Business creation.
    BusinessCreation = 2,
    /// Takeover (e.g. into a SCOP).
    Takeover = 3,
}

/// Initiative stages, as the registry numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Idea.
    Idea = 1,
    /// Emergence.
    Emergence = 2,
    /// Launch.
    Launch = 3,
    /// Consolidation.
    Consolidation = 4,
    /// Abandoned.
    Abandoned = 5,
}

/// An initiative and the stages it went through.
#[derive(Debug, Clone)]
pub struct DemoInitiative {
    /// Name (unique in the demo), ending with "(démo)".
    pub name: String,
    /// Kind.
    pub kind: InitiativeKind,
    /// Index of the holder.
    pub holder: usize,
    /// Territory in words.
    pub territory: String,
    /// Stages in order (the first is the creation stage), with their dates.
    pub stages: Vec<(Stage, String)>,
    /// Indexes of the support structures.
    pub supports: Vec<usize>,
}

/// Where an activity is in its lifecycle once seeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// Left as a draft.
    Draft,
    /// Scheduled, with registrations.
    Scheduled,
    /// Completed with its attendance counts (its sessions are in the past).
    Completed,
    /// Cancelled.
    Cancelled,
}

/// One session: Europe/Paris local times `YYYY-MM-DDTHH:MM`, capacity.
#[derive(Debug, Clone)]
pub struct DemoSession {
    /// Start, Europe/Paris.
    pub start: String,
    /// End, Europe/Paris.
    pub end: String,
    /// Seats.
    pub capacity: i32,
}

/// Attendance counts entered for a completed session (they add up by sex, by age and by public).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoCounts {
    /// Attendees.
    pub total: i32,
    /// Women.
    pub female: i32,
    /// Men.
    pub male: i32,
    /// Sex not given.
    pub sex_not_given: i32,
    /// Under 26.
    pub under_26: i32,
    /// 26 to 49.
    pub age_26_49: i32,
    /// 50 and over.
    pub age_50_plus: i32,
    /// Age not given.
    pub age_not_given: i32,
    /// By public (activities' `Public` numbers).
    pub by_public: Vec<(i32, i32)>,
}

/// A registration to a scheduled session (synthetic person; the email is under example.org).
#[derive(Debug, Clone)]
pub struct DemoRegistration {
    /// Index of the session in its activity.
    pub session: usize,
    /// Synthetic full name.
    pub name: String,
    /// Synthetic email (example.org).
    pub email: String,
    /// Public number.
    pub public: i32,
    /// 0 not given, 1 F, 2 H.
    pub sex: i32,
    /// 0 not given, 1 under 26, 2 26–49, 3 50+.
    pub age_band: i32,
    /// Index of the partner the person comes from, if any.
    pub organisation: Option<usize>,
}

/// An activity with its sessions and what happens to it.
#[derive(Debug, Clone)]
pub struct DemoActivity {
    /// Title (unique in the demo), ending with "(démo)".
    pub title: String,
    /// Description.
    pub description: String,
    /// Activities' `ActivityKind` number.
    pub kind: i32,
    /// Agreement axes.
    pub axes: Vec<i32>,
    /// Activities' `Public` numbers.
    pub publics: Vec<i32>,
    /// Campaign.
    pub campaign: &'static str,
    /// Commune, or `None` when online.
    pub commune: Option<Commune>,
    /// Street address.
    pub address: String,
    /// Organiser and co-organisers (indexes).
    pub organisers: Vec<usize>,
    /// Co-organisers (indexes).
    pub co_organisers: Vec<usize>,
    /// Sessions.
    pub sessions: Vec<DemoSession>,
    /// Lifecycle.
    pub lifecycle: Lifecycle,
    /// Counts per session, for completed activities.
    pub outcomes: Vec<DemoCounts>,
    /// Registrations, for scheduled activities.
    pub registrations: Vec<DemoRegistration>,
}

/// A good-practice sheet.
#[derive(Debug, Clone)]
pub struct DemoPractice {
    /// Title (unique in the demo).
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Body.
    pub body: String,
    /// Indexes of linked activities.
    pub activities: Vec<usize>,
    /// Indexes of linked partners.
    pub partners: Vec<usize>,
    /// Axis.
    pub axis: i32,
    /// Tags.
    pub tags: Vec<&'static str>,
    /// Whether published.
    pub published: bool,
}

/// A dataset file for the observatory.
#[derive(Debug, Clone)]
pub struct DemoDataset {
    /// Observatory source name.
    pub source: &'static str,
    /// Edition.
    pub edition: &'static str,
    /// The file (`;`-separated, as the URSSAF publishes).
    pub csv: String,
}

/// A target of an action of the agreement's plan (`ess.observatory.v1.Target`).
#[derive(Debug, Clone, PartialEq)]
pub struct DemoTarget {
    /// `Indicator` value.
    pub indicator: i32,
    /// Activity kind filter (`SENSIBILISATION`), or empty.
    pub activity_kind: &'static str,
    /// Public filter (`SCOLAIRES`), or empty.
    pub public: &'static str,
    /// YYYY-MM-DD, inclusive.
    pub period_from: &'static str,
    pub period_to: &'static str,
    pub target: f64,
}

/// An action of the agreement's plan, with targets the demo's activities, PTCEs, initiatives and
/// practices make progress on.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoAction {
    /// 1 to 5.
    pub axis: i32,
    /// Unique, ends with "(démo)".
    pub title: String,
    pub description: String,
    pub targets: Vec<DemoTarget>,
}

/// A report the demo publishes: the yearly review of the last completed campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoReport {
    /// `ReportKind` value.
    pub kind: i32,
    pub year: i32,
    /// `ReportFormat` value.
    pub format: i32,
}

/// Everything the demo creates.
#[derive(Debug, Clone)]
pub struct DemoPlan {
    /// Partners, in creation order.
    pub partners: Vec<DemoPartner>,
    /// CRESS memberships.
    pub memberships: Vec<DemoMembership>,
    /// Network affiliations.
    pub affiliations: Vec<DemoAffiliation>,
    /// PTCEs.
    pub ptces: Vec<DemoPtce>,
    /// Initiatives.
    pub initiatives: Vec<DemoInitiative>,
    /// Activities.
    pub activities: Vec<DemoActivity>,
    /// Good-practice sheets.
    pub practices: Vec<DemoPractice>,
    /// Observatory datasets.
    pub datasets: Vec<DemoDataset>,
    /// The agreement's action plan.
    pub actions: Vec<DemoAction>,
    /// Published reports.
    pub reports: Vec<DemoReport>,
}

const STREETS: &[&str] = &[
    "rue de la République",
    "avenue de la Libération",
    "rue du Général de Gaulle",
    "place de la Mairie",
    "rue des Jardins",
    "boulevard Leclerc",
    "rue de l'Église",
    "chemin des Prés",
];

const FIRST_NAMES: &[(&str, i32)] = &[
    ("Camille", 0),
    ("Léa", 1),
    ("Manon", 1),
    ("Chloé", 1),
    ("Inès", 1),
    ("Louise", 1),
    ("Hugo", 2),
    ("Lucas", 2),
    ("Nathan", 2),
    ("Théo", 2),
    ("Yanis", 2),
    ("Jules", 2),
];

const LAST_NAMES: &[&str] = &[
    "Martin", "Lefebvre", "Leroy", "Marie", "Lecoq", "Hamel", "Lemoine", "Duval", "Lesueur", "Guérin", "Jeanne",
    "Lebrun",
];

/// The plan for `seed` with `partners` partners (at least one per archetype).
pub fn plan(seed: u64, partner_count: usize) -> DemoPlan {
    let mut rng = Rng::new(seed);
    let partners = partners(&mut rng, partner_count.max(ARCHETYPES.len()));
    let (memberships, affiliations) = memberships(&mut rng, &partners);
    let ptces = ptces(&mut rng, &partners);
    let initiatives = initiatives(&mut rng, &partners);
    let activities = activities(&mut rng, &partners);
    let practices = practices(&mut rng, &partners, &activities);
    let datasets = datasets(&mut rng);
    DemoPlan {
        actions: actions(),
        reports: vec![DemoReport {
            kind: ReportKind::BilanAnnuel as i32,
            year: 2025,
            format: ReportFormat::Html as i32,
        }],
        partners,
        memberships,
        affiliations,
        ptces,
        initiatives,
        activities,
        practices,
        datasets,
    }
}

/// The agreement's action plan over 2025–2026: one or two actions per axis, each target an
/// indicator the observatory computes from what the rest of the demo creates.
fn actions() -> Vec<DemoAction> {
    let target = |indicator: Indicator, target: f64| DemoTarget {
        indicator: indicator as i32,
        activity_kind: "",
        public: "",
        period_from: "2025-01-01",
        period_to: "2026-12-31",
        target,
    };
    let action = |axis: i32, title: &str, description: &str, targets: Vec<DemoTarget>| DemoAction {
        axis,
        title: format!("{title} {DEMO}"),
        description: format!("Données de démonstration, synthétiques. {description}"),
        targets,
    };
    vec![
        action(
            1,
            "Structurer les réseaux de l'ESS",
            "Associer les structures de l'ESS aux actions de la convention.",
            vec![target(Indicator::PartnersInvolved, 40.0)],
        ),
        action(
            2,
            "Faire connaître l'ESS aux demandeurs d'emploi",
            "Informations collectives et visites d'entreprises avec les acteurs de l'emploi.",
            vec![
                target(Indicator::JobSeekersReached, 150.0),
                target(Indicator::Under26Reached, 200.0),
            ],
        ),
        action(
            3,
            "Accompagner les coopérations territoriales",
            "Émergence de PTCE sur les trois départements.",
            // The demo's initiatives moved through their stages before 2025: no target on them.
            vec![target(Indicator::PtcesCreated, 3.0)],
        ),
        action(
            4,
            "Sensibiliser les jeunes à l'ESS",
            "Interventions en établissements scolaires pendant le Mois de l'ESS.",
            vec![
                DemoTarget {
                    activity_kind: "SENSIBILISATION",
                    ..target(Indicator::ActivitiesCompleted, 12.0)
                },
                DemoTarget {
                    public: "SCOLAIRES",
                    ..target(Indicator::PeopleReached, 400.0)
                },
            ],
        ),
        action(
            4,
            "Promouvoir l'ESS auprès du grand public",
            "Forums, conférences et portes ouvertes.",
            vec![
                target(Indicator::PeopleReached, 1_000.0),
                target(Indicator::WomenReached, 500.0),
            ],
        ),
        action(
            5,
            "Capitaliser les bonnes pratiques",
            "Fiches de l'observatoire régional sur les actions réussies.",
            vec![target(Indicator::PracticesPublished, 6.0)],
        ),
    ]
}

fn partners(rng: &mut Rng, count: usize) -> Vec<DemoPartner> {
    let mut sirets = HashSet::new();
    let mut names = HashSet::new();
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        // The archetypes in order first (every kind and family present), then drawn at random.
        let archetype = match ARCHETYPES.get(i) {
            Some(archetype) => *archetype,
            None => *rng.pick(ARCHETYPES),
        };
        // Networks and public bodies sit in the prefecture towns; the rest anywhere.
        let commune = match archetype.kind {
            Kind::Network | Kind::EmployerOrganisation => COMMUNES[0],
            _ => *rng.pick(COMMUNES),
        };
        let (siren, siret) = loop {
            let pair = siren_siret(rng);
            if sirets.insert(pair.1.clone()) {
                break pair;
            }
        };
        let base = format!("{} – {}", archetype.stem, commune.name);
        let mut name = format!("{base} {DEMO}");
        let mut n = 2;
        while !names.insert(name.clone()) {
            name = format!("{base} {n} {DEMO}");
            n += 1;
        }
        let acronym = match archetype.kind {
            Kind::Network => archetype
                .stem
                .split_whitespace()
                .filter(|w| w.len() > 3)
                .filter_map(|w| w.chars().next())
                .collect::<String>()
                .to_uppercase(),
            _ => String::new(),
        };
        let rna = if archetype.association {
            format!("W{}{:07}", commune.departement, rng.next_u64() % 10_000_000)
        } else {
            String::new()
        };
        let headcount_band = *rng.pick(&["01", "02", "03", "11", "12", "21", "22"]);
        let esus_from = (archetype.ess_flag == Some(true) && rng.below(2) == 0)
            .then(|| format!("20{:02}-{:02}-15", rng.between(16, 24), rng.between(1, 12)));
        out.push(DemoPartner {
            name,
            acronym,
            siren,
            siret,
            commune,
            address: format!("{} {}", rng.between(1, 120), rng.pick(STREETS)),
            archetype,
            rna,
            headcount_band,
            esus_from,
        });
    }
    out
}

fn date(rng: &mut Rng, from_year: i64, to_year: i64) -> String {
    format!(
        "{}-{:02}-{:02}",
        rng.between(from_year, to_year),
        rng.between(1, 12),
        rng.between(1, 28)
    )
}

fn memberships(rng: &mut Rng, partners: &[DemoPartner]) -> (Vec<DemoMembership>, Vec<DemoAffiliation>) {
    let networks: Vec<usize> = indexes(partners, |p| p.archetype.kind == Kind::Network);
    let mut memberships = Vec::new();
    let mut affiliations = Vec::new();
    for (i, p) in partners.iter().enumerate() {
        let ess = p.archetype.kind != Kind::PublicBody && p.archetype.ess_flag != Some(false);
        if !ess {
            continue;
        }
        let college = match p.archetype.kind {
            Kind::Network => "réseaux",
            Kind::EmployerOrganisation => "employeurs",
            Kind::SupportStructure | Kind::TrainingBody => "structures d'accompagnement",
            _ => "entreprises de l'ESS",
        };
        // Networks and employer bodies are all members ("mandants"); about half the others.
        let member = matches!(p.archetype.kind, Kind::Network | Kind::EmployerOrganisation) || rng.below(2) == 0;
        if member {
            memberships.push(DemoMembership {
                partner: i,
                from: date(rng, 2015, 2025),
                college,
                mandant: matches!(p.archetype.kind, Kind::Network | Kind::EmployerOrganisation),
            });
        }
        if p.archetype.kind != Kind::Network && !networks.is_empty() && rng.below(3) != 0 {
            affiliations.push(DemoAffiliation {
                partner: i,
                network: *rng.pick(&networks),
                from: date(rng, 2012, 2025),
            });
        }
    }
    (memberships, affiliations)
}

fn indexes(partners: &[DemoPartner], keep: impl Fn(&DemoPartner) -> bool) -> Vec<usize> {
    partners
        .iter()
        .enumerate()
        .filter(|(_, p)| keep(p))
        .map(|(i, _)| i)
        .collect()
}

fn ptces(rng: &mut Rng, partners: &[DemoPartner]) -> Vec<DemoPtce> {
    const PTCES: &[(&str, &str, &str, &[&str])] = &[
        (
            "Pôle du réemploi du Cotentin",
            "Cotentin",
            "50",
            &["réemploi", "économie circulaire"],
        ),
        (
            "Pôle alimentaire du Bessin",
            "Bessin",
            "14",
            &["alimentation", "circuits courts"],
        ),
        (
            "Pôle numérique solidaire de Caen",
            "Caen la Mer",
            "14",
            &["numérique", "inclusion"],
        ),
        (
            "Pôle bois et éco-construction du Perche",
            "Perche ornais",
            "61",
            &["bâtiment", "forêt"],
        ),
        (
            "Pôle des services à la personne du Bocage",
            "Bocage virois et flérien",
            "61",
            &["services à la personne"],
        ),
    ];
    let mut out = Vec::new();
    for (i, (name, territory, departement, themes)) in PTCES.iter().enumerate() {
        let local: Vec<usize> = indexes(partners, |p| {
            p.commune.departement == *departement && p.archetype.kind != Kind::PublicBody
        });
        let pool = if local.len() >= 3 {
            local
        } else {
            indexes(partners, |p| p.archetype.kind != Kind::PublicBody)
        };
        let lead = *rng.pick(&pool);
        let mut members = vec![(lead, date(rng, 2018, 2020))];
        for _ in 0..rng.between(2, 5) {
            let m = *rng.pick(&pool);
            if !members.iter().any(|(x, _)| *x == m) {
                members.push((m, date(rng, 2021, 2025)));
            }
        }
        out.push(DemoPtce {
            name: format!("{name} {DEMO}"),
            territory,
            lead,
            themes: themes.to_vec(),
            active: i != PTCES.len() - 1,
            members,
        });
    }
    out
}

fn initiatives(rng: &mut Rng, partners: &[DemoPartner]) -> Vec<DemoInitiative> {
    const INITIATIVES: &[(&str, InitiativeKind, &[Stage])] = &[
        ("Tiers-lieu rural", InitiativeKind::SocialInnovation, &[Stage::Idea]),
        (
            "Garage solidaire",
            InitiativeKind::SocialInnovation,
            &[Stage::Idea, Stage::Emergence],
        ),
        (
            "Conciergerie d'entreprises inclusive",
            InitiativeKind::BusinessCreation,
            &[Stage::Emergence, Stage::Launch],
        ),
        (
            "Épicerie coopérative",
            InitiativeKind::BusinessCreation,
            &[Stage::Idea, Stage::Emergence, Stage::Launch, Stage::Consolidation],
        ),
        (
            "Reprise en SCOP d'une imprimerie",
            InitiativeKind::Takeover,
            &[Stage::Emergence, Stage::Launch],
        ),
        (
            "Reprise en SCIC d'une menuiserie",
            InitiativeKind::Takeover,
            &[Stage::Idea, Stage::Abandoned],
        ),
        (
            "Habitat inclusif intergénérationnel",
            InitiativeKind::SocialInnovation,
            &[Stage::Launch, Stage::Consolidation],
        ),
    ];
    let supports = indexes(partners, |p| p.archetype.kind == Kind::SupportStructure);
    let holders = indexes(partners, |p| {
        p.archetype.kind == Kind::EssEnterprise || p.archetype.kind == Kind::Other
    });
    INITIATIVES
        .iter()
        .map(|(name, kind, stages)| {
            let holder = *rng.pick(&holders);
            let mut year = rng.between(2019, 2021);
            let dated = stages
                .iter()
                .map(|s| {
                    year += rng.between(0, 1);
                    (
                        *s,
                        format!("{year}-{:02}-{:02}", rng.between(1, 12), rng.between(1, 28)),
                    )
                })
                .collect::<Vec<_>>();
            // Dates must not go back: sort within a year by rewriting to increasing months.
            let stages = monotonic(dated);
            let support = if supports.is_empty() {
                vec![]
            } else {
                vec![*rng.pick(&supports)]
            };
            DemoInitiative {
                name: format!("{name} – {} {DEMO}", partners[holder].commune.name),
                kind: *kind,
                holder,
                territory: partners[holder].commune.name.to_owned(),
                stages,
                supports: support,
            }
        })
        .collect()
}

/// Makes stage dates strictly increasing (a later stage never predates an earlier one).
fn monotonic(mut stages: Vec<(Stage, String)>) -> Vec<(Stage, String)> {
    for i in 1..stages.len() {
        if stages[i].1 <= stages[i - 1].1 {
            let previous = &stages[i - 1].1;
            let year: i32 = previous[..4].parse().unwrap_or(2020);
            stages[i].1 = format!("{}-{}", year + 1, &previous[5..]);
        }
    }
    stages
}

/// An activity template: kind number, title, axes, publics, capacity.
type ActivityTemplate = (i32, &'static str, &'static [i32], &'static [i32], i32);

/// The activity templates, each run once per campaign.
const ACTIVITY_TEMPLATES: &[ActivityTemplate] = &[
    (1, "Découvrir l'ESS au collège", &[4], &[1], 30),
    (1, "L'ESS, un choix de carrière pour les étudiants", &[4, 2], &[2], 60),
    (
        1,
        "Entreprendre autrement : atelier pour demandeurs d'emploi",
        &[4, 2],
        &[3],
        20,
    ),
    (2, "Forum de l'emploi dans l'ESS", &[2, 4], &[3, 4, 9], 200),
    (
        2,
        "Conférence : égalité femmes-hommes dans les entreprises de l'ESS",
        &[2],
        &[4, 8],
        80,
    ),
    (
        3,
        "Formation des élus à la commande publique responsable",
        &[1, 3],
        &[7],
        25,
    ),
    (3, "Formation : gouvernance coopérative", &[3], &[4, 8], 18),
    (4, "Atelier : créer sa SCOP", &[3, 4], &[5], 15),
    (4, "Atelier : financer son projet solidaire", &[3], &[5, 6], 20),
    (5, "Assemblée des mandants de la CRESS", &[1], &[8], 60),
    (6, "Visite d'une recyclerie", &[4], &[1, 2], 25),
    (7, "Accompagnement collectif des porteurs de projet", &[3], &[5], 12),
    (8, "Rencontre de l'observatoire régional de l'ESS", &[5], &[6, 7], 40),
];

fn activities(rng: &mut Rng, partners: &[DemoPartner]) -> Vec<DemoActivity> {
    let organisers = indexes(partners, |p| {
        matches!(
            p.archetype.kind,
            Kind::Network | Kind::SupportStructure | Kind::TrainingBody | Kind::EssEnterprise
        )
    });
    let others = indexes(partners, |_| true);
    let mut out = Vec::new();
    let mut titles = HashSet::new();
    // (campaign, year, month, first day, lifecycle) for each round of the templates.
    let rounds: [(&'static str, i32, u32, Lifecycle); 3] = [
        (CAMPAIGN_2025, 2025, 11, Lifecycle::Completed),
        (CAMPAIGN_2026, 2026, 11, Lifecycle::Completed),
        (CAMPAIGN_2027, 2027, 3, Lifecycle::Scheduled),
    ];
    for (round, (campaign, year, month, lifecycle)) in rounds.into_iter().enumerate() {
        for (t, (kind, title, axes, publics, capacity)) in ACTIVITY_TEMPLATES.iter().enumerate() {
            // Every département in every round: the templates rotate over the three.
            let departement = ["14", "50", "61"][(t + round) % 3];
            let communes: Vec<Commune> = COMMUNES
                .iter()
                .copied()
                .filter(|c| c.departement == departement)
                .collect();
            let commune = *rng.pick(&communes);
            let online = *kind == 8 && round == 1;
            let organiser = *rng.pick(&organisers);
            let mut co = Vec::new();
            if rng.below(2) == 0 {
                let c = *rng.pick(&others);
                if c != organiser {
                    co.push(c);
                }
            }
            let day = 3 + (t as u32 % 13) + rng.below(2) as u32;
            let hour = [9, 14][rng.below(2)];
            let session_count = if *kind == 7 || *kind == 3 { 2 } else { 1 };
            let sessions: Vec<DemoSession> = (0..session_count)
                .map(|s| DemoSession {
                    start: format!("{year}-{month:02}-{:02}T{hour:02}:00", day + s * 7),
                    end: format!("{year}-{month:02}-{:02}T{:02}:00", day + s * 7, hour + 3),
                    capacity: *capacity,
                })
                .collect();
            // In the future round, a few stay drafts and one is cancelled.
            let lifecycle = match (lifecycle, t) {
                (Lifecycle::Scheduled, 11) => Lifecycle::Draft,
                (Lifecycle::Scheduled, 12) => Lifecycle::Draft,
                (Lifecycle::Scheduled, 9) => Lifecycle::Cancelled,
                (Lifecycle::Completed, 5) if round == 0 => Lifecycle::Cancelled,
                (l, _) => l,
            };
            let outcomes = if lifecycle == Lifecycle::Completed {
                sessions.iter().map(|s| counts(rng, s.capacity, publics)).collect()
            } else {
                Vec::new()
            };
            let registrations = if lifecycle == Lifecycle::Scheduled {
                registrations(rng, &sessions, publics, &others, &format!("{round}{t:02}"))
            } else {
                Vec::new()
            };
            let place = if online { "en ligne" } else { commune.name };
            let full = format!("{title} – {place} {} {DEMO}", campaign_year(campaign));
            if !titles.insert(full.clone()) {
                continue;
            }
            out.push(DemoActivity {
                title: full,
                description: format!(
                    "Données de démonstration, synthétiques. {title}, dans le cadre de « {campaign} »."
                ),
                kind: *kind,
                axes: axes.to_vec(),
                publics: publics.to_vec(),
                campaign,
                commune: (!online).then_some(commune),
                address: if online {
                    String::new()
                } else {
                    format!("{} {}", rng.between(1, 60), rng.pick(STREETS))
                },
                organisers: vec![organiser],
                co_organisers: co,
                sessions,
                lifecycle,
                outcomes,
                registrations,
            });
        }
    }
    out
}

fn campaign_year(campaign: &str) -> &str {
    campaign.rsplit(' ').next().unwrap_or(campaign)
}

/// Counts that add up: a total split by sex, by age band and over the activity's publics.
pub fn counts(rng: &mut Rng, capacity: i32, publics: &[i32]) -> DemoCounts {
    let total = i32::try_from(rng.between(i64::from(capacity) / 2, i64::from(capacity))).unwrap_or(capacity);
    let female = total * i32::try_from(rng.between(40, 65)).unwrap_or(50) / 100;
    let sex_not_given = total / 20;
    let male = total - female - sex_not_given;
    let young = publics.iter().any(|p| *p == 1 || *p == 2);
    let under_26 = if young { total * 8 / 10 } else { total / 6 };
    let age_50_plus = (total - under_26) / 3;
    let age_not_given = total / 25;
    let age_26_49 = total - under_26 - age_50_plus - age_not_given;
    let mut by_public = Vec::new();
    let mut left = total;
    for (i, p) in publics.iter().enumerate() {
        let n = if i + 1 == publics.len() { left } else { left * 6 / 10 };
        by_public.push((*p, n));
        left -= n;
    }
    DemoCounts {
        total,
        female,
        male,
        sex_not_given,
        under_26,
        age_26_49,
        age_50_plus,
        age_not_given,
        by_public,
    }
}

fn registrations(
    rng: &mut Rng,
    sessions: &[DemoSession],
    publics: &[i32],
    partners: &[usize],
    tag: &str,
) -> Vec<DemoRegistration> {
    let mut out = Vec::new();
    for (s, session) in sessions.iter().enumerate() {
        // Most sessions fill partly; the small ones overflow into the waitlist.
        let wanted = if session.capacity <= 15 {
            session.capacity + 3
        } else {
            i32::try_from(rng.between(3, 12)).unwrap_or(5)
        };
        for n in 0..wanted {
            let (first, sex) = *rng.pick(FIRST_NAMES);
            let last = *rng.pick(LAST_NAMES);
            let age_band = *rng.pick(&[0, 1, 1, 2, 2, 3]);
            let sex = if rng.below(10) == 0 { 0 } else { sex };
            out.push(DemoRegistration {
                session: s,
                name: format!("{first} {last} {DEMO}"),
                email: format!("{}.{}.{tag}{s}{n:02}@example.org", ascii(first), ascii(last)),
                public: *rng.pick(publics),
                sex,
                age_band,
                organisation: (rng.below(3) == 0).then(|| *rng.pick(partners)),
            });
        }
    }
    out
}

/// Lower-case ASCII of a French name, for synthetic email addresses.
fn ascii(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'É' => 'e',
            'ï' | 'î' => 'i',
            'ç' => 'c',
            c => c.to_ascii_lowercase(),
        })
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

fn practices(rng: &mut Rng, partners: &[DemoPartner], activities: &[DemoActivity]) -> Vec<DemoPractice> {
    const PRACTICES: &[(&str, &str, i32, &[&str])] = &[
        (
            "Faire venir des collégiens dans une SCOP",
            "Une demi-journée d'immersion prépare mieux qu'une conférence.",
            4,
            &["scolaires", "coopération"],
        ),
        (
            "Un forum de l'emploi co-organisé par les employeurs de l'ESS",
            "Les employeurs présentent leurs métiers eux-mêmes ; les candidats repartent avec des contacts.",
            2,
            &["emploi", "recrutement"],
        ),
        (
            "Former les élus avant de rédiger le marché",
            "Une formation courte en amont change les clauses sociales des marchés publics.",
            1,
            &["commande publique", "élus"],
        ),
        (
            "Accompagner une reprise en SCOP pas à pas",
            "Les étapes, les financeurs et les écueils d'une transmission aux salariés.",
            3,
            &["reprise", "SCOP"],
        ),
    ];
    let completed: Vec<usize> = activities
        .iter()
        .enumerate()
        .filter(|(_, a)| a.lifecycle == Lifecycle::Completed)
        .map(|(i, _)| i)
        .collect();
    PRACTICES
        .iter()
        .enumerate()
        .map(|(i, (title, summary, axis, tags))| {
            let linked = if completed.is_empty() { vec![] } else { vec![*rng.pick(&completed)] };
            let partner = linked
                .first()
                .and_then(|a| activities[*a].organisers.first().copied())
                .unwrap_or_else(|| rng.below(partners.len()));
            DemoPractice {
                title: format!("{title} {DEMO}"),
                summary: (*summary).to_owned(),
                body: format!(
                    "Fiche de démonstration (données synthétiques).\n\n{summary}\n\nCe qui a marché, ce qu'il faut prévoir, qui contacter."
                ),
                activities: linked,
                partners: vec![partner],
                axis: *axis,
                tags: tags.to_vec(),
                published: i != PRACTICES.len() - 1,
            }
        })
        .collect()
}

/// The families as the URSSAF labels them, with each one's share of ESS establishments (per
/// mille) and average employees per establishment; orders of magnitude of the published tables.
const FAMILIES: &[(&str, i64, i64)] = &[
    ("Associations", 780, 9),
    ("Coopératives", 120, 16),
    ("Mutuelles", 50, 14),
    ("Fondations", 12, 40),
    ("Sociétés commerciales de l'ESS", 38, 8),
];

/// Départements with their share of the former region's ESS establishments (per mille).
const DEPARTEMENTS: &[(&str, i64)] = &[("14", 460), ("50", 330), ("61", 210)];

fn datasets(rng: &mut Rng) -> Vec<DemoDataset> {
    let header = "famille_ess;annee;code_region;code_ancienne_region;code_departement;nombre_d_etablissements;effectifs_salaries_moyens;masse_salariale";
    let mut ess = format!("{header}\n");
    let mut private = String::from(
        "annee;code_region;code_ancienne_region;code_departement;nombre_d_etablissements;effectifs_salaries_moyens;masse_salariale\n",
    );
    for year in 2022..=2024 {
        let regional = 4_900 + (year - 2022) * 40;
        for (departement, dep_share) in DEPARTEMENTS {
            let mut dep_employees = 0;
            for (family, share, per_establishment) in FAMILIES {
                // The Orne's foundations stay below the confidentiality threshold: the demo
                // shows a suppressed cell.
                let establishments = if *departement == "61" && *family == "Fondations" {
                    2
                } else {
                    (regional * dep_share / 1000 * share / 1000 + rng.between(-5, 5)).max(3)
                };
                let employees = establishments * per_establishment + rng.between(0, 40);
                dep_employees += employees;
                let payroll = employees * (25_800 + rng.between(0, 2_500));
                ess.push_str(&format!(
                    "{family};{year};28;25;{departement};{establishments};{employees},0;{payroll},00\n"
                ));
            }
            // The whole private sector: the ESS is about one job in eight.
            let private_employees = dep_employees * 8 + rng.between(0, 500);
            let private_establishments = private_employees / 9;
            let payroll = private_employees * (29_000 + rng.between(0, 2_000));
            private.push_str(&format!(
                "{year};28;25;{departement};{private_establishments};{private_employees},0;{payroll},00\n"
            ));
        }
    }
    vec![
        DemoDataset {
            source: "urssaf-ess-departement",
            edition: DATASET_EDITION,
            csv: ess,
        },
        DemoDataset {
            source: "urssaf-prive-departement",
            edition: DATASET_EDITION,
            csv: private,
        },
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_plan_and_another_seed_another() {
        let (a, b, c) = (plan(7, 40), plan(7, 40), plan(8, 40));
        let sirets = |p: &DemoPlan| p.partners.iter().map(|x| x.siret.clone()).collect::<Vec<_>>();
        assert_eq!(sirets(&a), sirets(&b));
        assert_eq!(
            a.activities.iter().map(|x| &x.title).collect::<Vec<_>>(),
            b.activities.iter().map(|x| &x.title).collect::<Vec<_>>()
        );
        assert_ne!(sirets(&a), sirets(&c));
    }

    #[test]
    fn every_siren_and_siret_passes_the_luhn_check_and_sirets_are_unique() {
        let p = plan(2026, 200);
        for partner in &p.partners {
            assert!(luhn_ok(&partner.siren), "{}", partner.siren);
            assert!(luhn_ok(&partner.siret), "{}", partner.siret);
            assert!(partner.siret.starts_with(&partner.siren));
        }
        let unique: HashSet<_> = p.partners.iter().map(|x| &x.siret).collect();
        assert_eq!(unique.len(), p.partners.len());
    }

    #[test]
    fn every_name_is_labelled_as_a_demo() {
        let p = plan(1, 30);
        assert!(p.partners.iter().all(|x| x.name.ends_with(DEMO)));
        assert!(p.activities.iter().all(|x| x.title.ends_with(DEMO)));
        assert!(p.ptces.iter().all(|x| x.name.ends_with(DEMO)));
        assert!(p.initiatives.iter().all(|x| x.name.ends_with(DEMO)));
        assert!(p.practices.iter().all(|x| x.title.ends_with(DEMO)));
    }

    #[test]
    fn the_demo_covers_every_kind_stage_lifecycle_and_departement() {
        let p = plan(3, 25);
        let kinds: HashSet<_> = p.partners.iter().map(|x| x.archetype.kind).collect();
        assert_eq!(kinds.len(), 7);
        let stages: HashSet<i32> = p
            .initiatives
            .iter()
            .filter_map(|i| i.stages.last().map(|s| s.0 as i32))
            .collect();
        assert_eq!(stages, HashSet::from([1, 2, 3, 4, 5]));
        let activity_kinds: HashSet<i32> = p.activities.iter().map(|a| a.kind).collect();
        assert_eq!(activity_kinds.len(), 8);
        for lifecycle in [
            Lifecycle::Draft,
            Lifecycle::Scheduled,
            Lifecycle::Completed,
            Lifecycle::Cancelled,
        ] {
            assert!(p.activities.iter().any(|a| a.lifecycle == lifecycle), "{lifecycle:?}");
        }
        let departements: HashSet<_> = p
            .activities
            .iter()
            .filter_map(|a| a.commune.map(|c| c.departement))
            .collect();
        assert_eq!(departements, HashSet::from(["14", "50", "61"]));
        assert!(p.activities.iter().any(|a| a.commune.is_none()), "one online");
    }

    #[test]
    fn the_smallest_demo_essctl_accepts_holds_every_archetype() {
        // `seed demo --partners` starts at 25 (ops_cli.rs).
        assert!(ARCHETYPES.len() <= 25);
        assert_eq!(plan(1, 25).partners.len(), 25);
    }

    #[test]
    fn entered_counts_add_up_by_sex_age_and_public() {
        let mut rng = Rng::new(5);
        for capacity in [1, 12, 30, 200] {
            let c = counts(&mut rng, capacity, &[1, 2, 9]);
            assert_eq!(c.female + c.male + c.sex_not_given, c.total);
            assert_eq!(c.under_26 + c.age_26_49 + c.age_50_plus + c.age_not_given, c.total);
            assert_eq!(c.by_public.iter().map(|(_, n)| n).sum::<i32>(), c.total);
            assert!([c.female, c.male, c.age_26_49, c.age_50_plus].iter().all(|n| *n >= 0));
        }
    }

    #[test]
    fn stage_dates_never_go_back() {
        let p = plan(11, 25);
        for i in &p.initiatives {
            assert!(i.stages.windows(2).all(|w| w[0].1 < w[1].1), "{:?}", i.stages);
        }
    }

    #[test]
    fn datasets_use_the_urssaf_layout_and_the_demo_edition() {
        let p = plan(1, 25);
        let ess = &p.datasets[0];
        assert_eq!(ess.edition, DATASET_EDITION);
        assert!(ess.csv.starts_with("famille_ess;annee;"));
        assert_eq!(ess.csv.lines().count(), 1 + 3 * 3 * 5);
        assert!(ess.csv.contains("Fondations;2024;28;25;61;2;"));
    }
}

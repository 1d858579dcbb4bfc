//! Who may call each activities method: the one place where the service's access is declared
//! (enforced by `platform::access::AuthLayer`). `object_checked` methods let partners through the
//! layer; the handler then limits them to registrations of their own organisation.

use platform::access::{MethodAccess, roles};

/// The activities service's access table.
pub const ACCESS: &[MethodAccess] = &[
    MethodAccess::read("/ess.activities.v1.Activities/ListKnownPartners", roles::STAFF),
    // Activities are organised by staff; partners read them (to register their people).
    MethodAccess::write("/ess.activities.v1.Activities/CreateActivity", roles::STAFF),
    MethodAccess::read("/ess.activities.v1.Activities/GetActivity", roles::STAFF_AND_PARTNERS),
    MethodAccess::write("/ess.activities.v1.Activities/UpdateActivity", roles::STAFF),
    MethodAccess::write("/ess.activities.v1.Activities/ScheduleActivity", roles::STAFF),
    MethodAccess::write("/ess.activities.v1.Activities/CancelActivity", roles::STAFF),
    MethodAccess::write("/ess.activities.v1.Activities/CompleteActivity", roles::STAFF),
    MethodAccess::read(
        "/ess.activities.v1.Activities/ListActivities",
        roles::STAFF_AND_PARTNERS,
    ),
    // The public calendar: scheduled and completed activities, no personal data.
    MethodAccess::read("/ess.activities.v1.Activities/GetCalendar", roles::EVERYONE),
    // Registrations: a partner registers its own people and sees only its own registrations.
    MethodAccess::write("/ess.activities.v1.Activities/Register", roles::STAFF_AND_PARTNERS).object_checked(),
    MethodAccess::write(
        "/ess.activities.v1.Activities/CancelRegistration",
        roles::STAFF_AND_PARTNERS,
    )
    .object_checked(),
    MethodAccess::write("/ess.activities.v1.Activities/RecordAttendance", roles::STAFF),
    MethodAccess::read(
        "/ess.activities.v1.Activities/ListRegistrations",
        roles::STAFF_AND_PARTNERS,
    )
    .object_checked(),
    MethodAccess::write("/ess.activities.v1.Activities/EraseRegistrant", roles::STAFF),
    MethodAccess::read(
        "/ess.activities.v1.Activities/ListPartnerParticipation",
        roles::STAFF_AND_PARTNERS,
    )
    .object_checked(),
    // Practices (capitalised good practices): written by staff, read by partners.
    MethodAccess::write("/ess.activities.v1.Activities/CreatePractice", roles::STAFF),
    MethodAccess::write("/ess.activities.v1.Activities/PublishPractice", roles::STAFF),
    MethodAccess::read("/ess.activities.v1.Activities/ListPractices", roles::STAFF_AND_PARTNERS),
];

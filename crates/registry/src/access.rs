//! Who may call each registry method: the one place where the registry's access is declared
//! (enforced by `platform::access::AuthLayer`). `object_checked` methods let partners through the
//! layer; the handler then allows only the partner's own record (see `grpc::guard`).

use platform::{
    access::{MethodAccess, roles},
    auth::Role,
};

const PARTNERS_AND_SERVICES: &[Role] = &[Role::Admin, Role::Staff, Role::Partner, Role::Service];

/// The registry's access table.
pub const ACCESS: &[MethodAccess] = &[
    // Partners and contacts: staff for everything, a partner for its own record and contacts; the
    // activities service (role `service`) may only look a partner up by id, without contacts.
    MethodAccess::write("/ess.registry.v1.PartnerRegistry/CreatePartner", roles::STAFF),
    MethodAccess::read("/ess.registry.v1.PartnerRegistry/GetPartner", PARTNERS_AND_SERVICES).object_checked(),
    MethodAccess::write(
        "/ess.registry.v1.PartnerRegistry/UpdatePartner",
        roles::STAFF_AND_PARTNERS,
    )
    .object_checked(),
    MethodAccess::write("/ess.registry.v1.PartnerRegistry/ArchivePartner", roles::STAFF),
    MethodAccess::read("/ess.registry.v1.PartnerRegistry/LookupPartners", roles::STAFF),
    MethodAccess::read("/ess.registry.v1.PartnerRegistry/ListPartners", roles::STAFF),
    MethodAccess::write("/ess.registry.v1.PartnerRegistry/AddContact", roles::STAFF_AND_PARTNERS).object_checked(),
    MethodAccess::write(
        "/ess.registry.v1.PartnerRegistry/EraseContact",
        roles::STAFF_AND_PARTNERS,
    )
    .object_checked(),
    // CRESS membership and affiliations: kept by staff; a partner may read its own.
    MethodAccess::write("/ess.registry.v1.Membership/JoinCress", roles::STAFF),
    MethodAccess::write("/ess.registry.v1.Membership/LeaveCress", roles::STAFF),
    MethodAccess::read("/ess.registry.v1.Membership/GetMembership", roles::STAFF_AND_PARTNERS).object_checked(),
    MethodAccess::write("/ess.registry.v1.Membership/AddAffiliation", roles::STAFF),
    MethodAccess::write("/ess.registry.v1.Membership/EndAffiliation", roles::STAFF),
    // The SIRENE stock import.
    MethodAccess::write("/ess.registry.v1.SireneImport/ImportSirene", roles::STAFF),
    // PTCEs and initiatives: staff.
    MethodAccess::write("/ess.registry.v1.Ptces/CreatePtce", roles::STAFF),
    MethodAccess::read("/ess.registry.v1.Ptces/GetPtce", roles::STAFF),
    MethodAccess::read("/ess.registry.v1.Ptces/ListPtces", roles::STAFF),
    MethodAccess::write("/ess.registry.v1.Ptces/JoinPtce", roles::STAFF),
    MethodAccess::write("/ess.registry.v1.Ptces/LeavePtce", roles::STAFF),
    MethodAccess::write("/ess.registry.v1.Ptces/SetPtceStatus", roles::STAFF),
    MethodAccess::write("/ess.registry.v1.Initiatives/CreateInitiative", roles::STAFF),
    MethodAccess::read("/ess.registry.v1.Initiatives/GetInitiative", roles::STAFF),
    MethodAccess::read("/ess.registry.v1.Initiatives/ListInitiatives", roles::STAFF),
    MethodAccess::write("/ess.registry.v1.Initiatives/ChangeInitiativeStage", roles::STAFF),
];

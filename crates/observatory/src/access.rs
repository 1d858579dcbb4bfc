//! Who may call each observatory method: the one place where the service's access is declared
//! (enforced by `platform::access::AuthLayer`). The public reads only published,
//! confidentiality-safe statistics; unsuppressed cells, imports and projections are for staff.

use platform::access::{MethodAccess, roles};

/// The observatory's access table.
pub const ACCESS: &[MethodAccess] = &[
    MethodAccess::read(
        "/ess.observatory.v1.Observatory/CountPartnersByDepartement",
        roles::STAFF,
    ),
    MethodAccess::write("/ess.observatory.v1.Observatory/ImportDataset", roles::STAFF),
    MethodAccess::read("/ess.observatory.v1.Observatory/ListDatasets", roles::STAFF),
    MethodAccess::read("/ess.observatory.v1.Observatory/QueryIndicators", roles::EVERYONE),
    MethodAccess::read(
        "/ess.observatory.v1.Observatory/QueryIndicatorsUnsuppressed",
        roles::STAFF,
    ),
    MethodAccess::read("/ess.observatory.v1.Observatory/GetEssShare", roles::EVERYONE),
    MethodAccess::read("/ess.observatory.v1.Observatory/GetPartnerProjections", roles::STAFF),
    MethodAccess::read("/ess.observatory.v1.Observatory/GetActivityProjections", roles::STAFF),
    MethodAccess::write("/ess.observatory.v1.Observatory/RebuildProjections", roles::ADMIN),
];

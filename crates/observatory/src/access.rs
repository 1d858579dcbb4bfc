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
    // The resource centre: staff publish; everyone reads what is published (the dashboard too).
    MethodAccess::write("/ess.observatory.v1.Resources/PublishResource", roles::STAFF),
    MethodAccess::read("/ess.observatory.v1.Resources/ListResources", roles::EVERYONE),
    MethodAccess::read("/ess.observatory.v1.Resources/GetResource", roles::EVERYONE),
    MethodAccess::read("/ess.observatory.v1.Resources/DownloadResource", roles::EVERYONE),
    // The action plan: staff record it; its progress is public (shown on the dashboard).
    MethodAccess::write("/ess.observatory.v1.ActionPlan/CreateAction", roles::STAFF),
    MethodAccess::write("/ess.observatory.v1.ActionPlan/UpdateAction", roles::STAFF),
    MethodAccess::read("/ess.observatory.v1.ActionPlan/ListActions", roles::EVERYONE),
    MethodAccess::read("/ess.observatory.v1.ActionPlan/GetProgress", roles::EVERYONE),
    // Reports: staff render (drafts) and publish; everyone reads the published ones.
    MethodAccess::read("/ess.observatory.v1.Reports/RenderReport", roles::STAFF),
    MethodAccess::write("/ess.observatory.v1.Reports/PublishReport", roles::STAFF),
    MethodAccess::read("/ess.observatory.v1.Reports/ListPublishedReports", roles::EVERYONE),
    MethodAccess::read("/ess.observatory.v1.Reports/GetPublishedReport", roles::EVERYONE),
];

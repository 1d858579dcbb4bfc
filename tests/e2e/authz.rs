//! The authorization matrix: every RPC of every service, enumerated from the descriptor sets the
//! services serve, called with every role and with bad tokens (none, expired, signed with another
//! key, wrong audience, wrong issuer) → the status the access tables promise. Plus: every RPC has
//! an access declaration (and every declaration an RPC), the public and service surfaces are
//! exactly what the security model allows, and a partner token aimed at another partner's objects
//! is refused.

use std::{collections::BTreeMap, net::SocketAddr, time::Duration};

use ess_proto::{
    activities::v1::{
        ListPartnerParticipationRequest, RegisterRequest, RegistrationIdRequest, activities_client::ActivitiesClient,
    },
    registry::v1::{
        AddContactRequest, EraseContactRequest, GetMembershipRequest, GetPartnerRequest, UpdatePartnerRequest,
        membership_client::MembershipClient, partner_registry_client::PartnerRegistryClient,
    },
};
use platform::{
    access::{AccessTable, MethodAccess, PLATFORM_ACCESS, Scope},
    auth::{Access, Role, TokenIssuer, generate_key_pair, unix_now},
    grpc::with_token,
    secret::Secret,
    testing::{TEST_AUDIENCE, TEST_ISSUER, nats_url, test_issuer, token},
};
use prost::{
    Message as _,
    bytes::{Buf as _, BufMut as _},
};
use tonic::{
    Code, Status,
    codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder},
    codegen::http::uri::PathAndQuery,
    transport::Channel,
};
use uuid::Uuid;

use crate::helpers::{Platform, spawn_platform};

/// One RPC as the descriptor sets describe it.
#[derive(Debug, Clone)]
struct Rpc {
    path: String,
    streaming: bool,
}

/// Every RPC of the `ess.*` packages in an encoded descriptor set.
fn rpcs(descriptor_set: &[u8]) -> Vec<Rpc> {
    let set = prost_types::FileDescriptorSet::decode(descriptor_set).expect("a valid descriptor set");
    let mut out = Vec::new();
    for file in set.file {
        let package = file.package().to_owned();
        if !package.starts_with("ess.") {
            continue;
        }
        for service in &file.service {
            for method in &service.method {
                out.push(Rpc {
                    path: format!("/{package}.{}/{}", service.name(), method.name()),
                    streaming: method.client_streaming() || method.server_streaming(),
                });
            }
        }
    }
    out
}

/// The services, each with its descriptor set and access table (the platform's set is served by
/// all three).
fn services() -> [(&'static str, &'static [u8], &'static [MethodAccess]); 3] {
    [
        ("registry", ess_proto::REGISTRY_DESCRIPTOR_SET, registry::access::ACCESS),
        (
            "activities",
            ess_proto::ACTIVITIES_DESCRIPTOR_SET,
            activities::access::ACCESS,
        ),
        (
            "observatory",
            ess_proto::OBSERVATORY_DESCRIPTOR_SET,
            observatory::access::ACCESS,
        ),
    ]
}

#[test]
fn every_rpc_declares_its_access_and_every_declaration_names_an_rpc() {
    let platform_rpcs = rpcs(ess_proto::PLATFORM_DESCRIPTOR_SET);
    assert!(platform_rpcs.len() >= 3, "DeadLetters and Audit are described");
    for (name, set, table) in services() {
        let served: Vec<Rpc> = rpcs(set).into_iter().chain(platform_rpcs.clone()).collect();
        let declared = AccessTable::new([PLATFORM_ACCESS, table]);
        let undeclared: Vec<&str> = served
            .iter()
            .filter(|r| declared.get(&r.path).is_none())
            .map(|r| r.path.as_str())
            .collect();
        assert!(
            undeclared.is_empty(),
            "{name}: add these RPCs to its access table (src/access.rs): {undeclared:?}"
        );
        let stale: Vec<&str> = table
            .iter()
            .chain(PLATFORM_ACCESS)
            .filter(|m| !served.iter().any(|r| r.path == m.path))
            .map(|m| m.path)
            .collect();
        assert!(stale.is_empty(), "{name}: declared but not served: {stale:?}");
        for m in table {
            assert!(!m.roles.is_empty(), "{name}: {} allows nobody", m.path);
        }
    }
}

#[test]
fn the_public_and_the_services_reach_exactly_what_the_security_model_allows() {
    let open_to = |role: Role| -> Vec<&'static str> {
        let mut v: Vec<&str> = services()
            .into_iter()
            .flat_map(|(_, _, table)| table.iter())
            .chain(PLATFORM_ACCESS)
            .filter(|m| m.allows(role))
            .map(|m| m.path)
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        open_to(Role::Public),
        [
            "/ess.activities.v1.Activities/GetCalendar",
            "/ess.observatory.v1.ActionPlan/GetProgress",
            "/ess.observatory.v1.ActionPlan/ListActions",
            "/ess.observatory.v1.Observatory/GetEssShare",
            "/ess.observatory.v1.Observatory/QueryIndicators",
            "/ess.observatory.v1.Reports/GetPublishedReport",
            "/ess.observatory.v1.Reports/ListPublishedReports",
            "/ess.observatory.v1.Resources/DownloadResource",
            "/ess.observatory.v1.Resources/GetResource",
            "/ess.observatory.v1.Resources/ListResources",
        ]
    );
    assert_eq!(open_to(Role::Service), ["/ess.registry.v1.PartnerRegistry/GetPartner"]);
    assert!(
        open_to(Role::Partner)
            .iter()
            .all(|p| !p.contains("Unsuppressed") && !p.starts_with("/ess.platform.")),
        "partners never see unsuppressed statistics, dead letters or the audit log"
    );
}

/// Sends and receives raw protobuf bytes, so that any method can be called with an empty
/// message without knowing its types.
#[derive(Debug, Clone, Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;
    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }
    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        let out = src.chunk().to_vec();
        src.advance(out.len());
        Ok(Some(out))
    }
}

/// Calls `rpc` with an empty message (an empty stream for streaming RPCs) carrying `token`;
/// returns the status code. A call still running after a few seconds passed authentication and
/// authorization (refusals are immediate), and counts as OK.
async fn call(channel: &Channel, rpc: &Rpc, token: Option<&Secret>) -> Code {
    let path = PathAndQuery::try_from(rpc.path.as_str()).expect("a valid path");
    let outcome = tokio::time::timeout(Duration::from_secs(5), async {
        match token {
            Some(t) => send(tonic::client::Grpc::new(with_token(channel.clone(), t)), rpc, path).await,
            None => send(tonic::client::Grpc::new(channel.clone()), rpc, path).await,
        }
    })
    .await;
    match outcome {
        Ok(Ok(())) | Err(_) => Code::Ok,
        Ok(Err(status)) => status.code(),
    }
}

async fn send<T>(mut grpc: tonic::client::Grpc<T>, rpc: &Rpc, path: PathAndQuery) -> Result<(), Status>
where
    T: tonic::client::GrpcService<tonic::body::Body>,
    T::ResponseBody: tonic::codegen::Body<Data = prost::bytes::Bytes> + Send + 'static,
    <T::ResponseBody as tonic::codegen::Body>::Error: Into<tonic::codegen::StdError> + Send,
    T::Error: Into<tonic::codegen::StdError>,
{
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(format!("not ready: {}", e.into())))?;
    if rpc.streaming {
        let input = tokio_stream::iter(Vec::<Vec<u8>>::new());
        let mut stream = grpc
            .streaming(tonic::Request::new(input), path, RawCodec)
            .await?
            .into_inner();
        stream.message().await?;
    } else {
        grpc.unary(tonic::Request::new(Vec::new()), path, RawCodec).await?;
    }
    Ok(())
}

async fn channel_to(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

/// The tokens that must never get in, by name.
fn bad_tokens() -> Vec<(&'static str, Option<Secret>)> {
    let issuer = test_issuer();
    let mut expired = issuer.claims("late", Access::Admin, Duration::from_secs(60));
    expired.exp = unix_now() - 3600;
    let mut wrong_audience = issuer.claims("lost", Access::Admin, Duration::from_secs(60));
    wrong_audience.aud = "another-platform".into();
    let mut wrong_issuer = issuer.claims("fake", Access::Admin, Duration::from_secs(60));
    wrong_issuer.iss = "someone-else".into();
    let other_key = generate_key_pair().unwrap();
    let forger = TokenIssuer::new(&other_key.private_pem, TEST_ISSUER, TEST_AUDIENCE).unwrap();
    vec![
        ("no token", None),
        ("garbage", Some(Secret::new("not-a-jwt"))),
        ("expired", Some(issuer.sign(&expired).unwrap())),
        (
            "signed with another key",
            Some(forger.issue("forger", Access::Admin, Duration::from_secs(60)).unwrap()),
        ),
        ("wrong audience", Some(issuer.sign(&wrong_audience).unwrap())),
        ("wrong issuer", Some(issuer.sign(&wrong_issuer).unwrap())),
    ]
}

fn access_of(role: Role) -> Access {
    match role {
        Role::Admin => Access::Admin,
        Role::Staff => Access::Staff,
        Role::Partner => Access::Partner(Uuid::now_v7()),
        Role::Public => Access::Public,
        Role::Service => Access::Service,
    }
}

#[tokio::test]
async fn every_rpc_answers_every_role_and_every_bad_token_as_declared() {
    let p = spawn_platform(&nats_url()).await;
    let addrs = [
        ("registry", p.registry_addr),
        ("activities", p.activities_addr),
        ("observatory", p.observatory_addr),
    ];
    let platform_rpcs = rpcs(ess_proto::PLATFORM_DESCRIPTOR_SET);
    let bad = bad_tokens();
    let mut wrong = Vec::new();
    let mut calls = 0;
    for ((name, set, table), (_, addr)) in services().into_iter().zip(addrs) {
        let channel = channel_to(addr).await;
        let declared = AccessTable::new([PLATFORM_ACCESS, table]);
        let served: Vec<Rpc> = rpcs(set).into_iter().chain(platform_rpcs.clone()).collect();
        for rpc in &served {
            let rule = *declared.get(&rpc.path).expect("declared (see the test above)");
            for (what, token) in &bad {
                calls += 1;
                let got = call(&channel, rpc, token.as_ref()).await;
                if got != Code::Unauthenticated {
                    wrong.push(format!(
                        "{name} {} with {what}: {got:?}, expected Unauthenticated",
                        rpc.path
                    ));
                }
            }
            for role in Role::ALL {
                calls += 1;
                let got = call(&channel, rpc, Some(&token(access_of(role)))).await;
                let ok = if !rule.allows(role) {
                    got == Code::PermissionDenied
                } else if rule.scope == Scope::Object && role == Role::Partner {
                    // An empty request names no object of the partner's: the handler may refuse it.
                    got != Code::Unauthenticated
                } else {
                    !matches!(got, Code::Unauthenticated | Code::PermissionDenied)
                };
                if !ok {
                    wrong.push(format!("{name} {} as {role}: {got:?}", rpc.path));
                }
            }
        }
    }
    assert!(calls > 500, "the matrix covers every RPC ({calls} calls)");
    assert!(
        wrong.is_empty(),
        "{} unexpected answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// The code of an answer (OK for a success).
fn code<T>(r: Result<T, Status>) -> Code {
    r.err().map(|s| s.code()).unwrap_or(Code::Ok)
}

#[tokio::test]
async fn a_partner_token_aimed_at_another_partner_is_refused_everywhere() {
    let p = spawn_platform(&nats_url()).await;
    let b = p
        .registry
        .clone()
        .create_partner(crate::helpers::partner(1, "14118"))
        .await
        .unwrap()
        .into_inner()
        .partner
        .unwrap()
        .id;
    let a = Access::Partner(Uuid::now_v7());
    let registry = with_token(channel_to(p.registry_addr).await, &token(a));
    let activities = with_token(channel_to(p.activities_addr).await, &token(a));
    let mut partners = PartnerRegistryClient::new(registry.clone());
    let mut membership = MembershipClient::new(registry);
    let mut acts = ActivitiesClient::new(activities);

    let mut outcomes: BTreeMap<&str, Code> = BTreeMap::new();
    outcomes.insert(
        "GetPartner",
        code(partners.get_partner(GetPartnerRequest { id: b.clone() }).await),
    );
    outcomes.insert(
        "UpdatePartner",
        code(
            partners
                .update_partner(UpdatePartnerRequest {
                    id: b.clone(),
                    expected_version: 1,
                    ..Default::default()
                })
                .await,
        ),
    );
    outcomes.insert(
        "AddContact",
        code(
            partners
                .add_contact(AddContactRequest {
                    partner_id: b.clone(),
                    ..Default::default()
                })
                .await,
        ),
    );
    outcomes.insert(
        "EraseContact",
        code(
            partners
                .erase_contact(EraseContactRequest {
                    partner_id: b.clone(),
                    contact_id: Uuid::now_v7().to_string(),
                })
                .await,
        ),
    );
    outcomes.insert(
        "GetMembership",
        code(
            membership
                .get_membership(GetMembershipRequest { partner_id: b.clone() })
                .await,
        ),
    );
    outcomes.insert(
        "Register",
        code(
            acts.register(RegisterRequest {
                session_id: Uuid::now_v7().to_string(),
                organisation_id: b.clone(),
                ..Default::default()
            })
            .await,
        ),
    );
    outcomes.insert(
        "CancelRegistration",
        code(
            acts.cancel_registration(RegistrationIdRequest {
                id: Uuid::now_v7().to_string(),
            })
            .await,
        ),
    );
    outcomes.insert(
        "ListPartnerParticipation",
        code(
            acts.list_partner_participation(ListPartnerParticipationRequest {
                partner_id: b,
                ..Default::default()
            })
            .await,
        ),
    );
    let not_denied: Vec<_> = outcomes.iter().filter(|(_, c)| **c != Code::PermissionDenied).collect();
    assert!(not_denied.is_empty(), "{not_denied:?}");
    drop::<Platform>(p);
}

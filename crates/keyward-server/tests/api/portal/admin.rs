//! Administration in the browser: the catalog, a role, a service account in
//! a group, and a key for it that holds exactly the role's grant.

use super::browser::run;
use super::{ORG, OWNER, PASSWORD, org_path, portal_app};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_gives_a_service_account_a_role_and_a_key() {
    let app = portal_app().await;
    run(
        "an_admin_gives_a_service_account_a_role_and_a_key",
        &app.address,
        async |b| {
            b.sign_in(OWNER, PASSWORD).await;
            b.goto(&org_path("/admin/permissions")).await;
            b.fill("#permission-form input[name=name]", "dataproducts:read")
                .await;
            b.fill(
                "#permission-form input[name=description]",
                "Read data products",
            )
            .await;
            b.click("#permission-form input[name=read_only]").await;
            b.submit("#permission-form button[type=submit]", ".notice")
                .await;
            assert!(b.text("main table").await.contains("dataproducts:read"));

            b.goto(&org_path("/admin/roles")).await;
            assert!(b.text("main").await.contains("No custom roles yet"));
            b.fill("#role-form input[name=name]", "reader").await;
            b.click("#role-form input[name=permission][value='dataproducts:read']")
                .await;
            b.fill(
                "#role-form input[name='resource.dataproducts:read']",
                "dataproducts/42",
            )
            .await;
            b.submit("#role-form button[type=submit]", ".notice").await;
            assert!(
                b.text("main .cards")
                    .await
                    .contains("dataproducts:read on dataproducts/42")
            );

            b.goto(&org_path("/admin/service-accounts")).await;
            b.fill("#account-form input[name=name]", "etl").await;
            b.submit("#account-form button[type=submit]", ".notice")
                .await;

            b.goto(&org_path("/admin/groups")).await;
            b.fill("#group-form input[name=name]", "readers").await;
            b.click("#group-form input[name=role]").await;
            let etl = b
                .find("#group-form input[name=member][value^='service_account:']")
                .await;
            etl.click().await.unwrap();
            b.submit("#group-form button[type=submit]", ".notice").await;
            let row = b.text("main table").await;
            assert!(row.contains("reader") && row.contains("etl"), "{row}");

            b.goto(&org_path("/admin/service-accounts")).await;
            b.click("a[href*='scope=service_account']").await;
            b.find("#key-form").await;
            assert!(
                b.find("input[name=scope][value=service_account]")
                    .await
                    .is_selected()
                    .await
                    .unwrap()
            );
            b.fill("input[name=name]", "etl nightly").await;
            b.click("input[name=rights][value=all]").await;
            b.submit("#key-form button[type=submit]", "#secret").await;
            let secret = b.value("#secret").await;
            let verify = |permission: &'static str, resource: &'static str| {
                let admin = app.admin.clone();
                let secret = secret.clone();
                async move {
                    let body =
                        json!({"key": secret, "permission": permission, "resource": resource});
                    admin.post("/api/v1/keys/verify", body).await.body
                }
            };
            assert_eq!(
                verify("dataproducts:read", "dataproducts/42").await["valid"],
                true
            );
            assert_eq!(
                verify("dataproducts:read", "dataproducts/7").await["valid"],
                false
            );
            b.goto(&org_path("/settings/keys")).await;
            let card = b.text(".card.key").await;
            assert!(
                card.contains("Service account") && card.contains("etl"),
                "{card}"
            );
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_account_is_renamed_and_described_after_creation() {
    let app = portal_app().await;
    let created = app
        .admin
        .post(
            &format!("/api/v1/orgs/{}/service-accounts", super::ORG),
            json!({"name": "etl"}),
        )
        .await;
    assert_eq!(created.status, 201);
    let id = created.body["id"].as_str().unwrap().to_owned();
    run(
        "a_service_account_is_renamed_and_described_after_creation",
        &app.address,
        async |b| {
            b.sign_in(OWNER, PASSWORD).await;
            b.goto(&org_path("/admin/service-accounts")).await;
            b.click(&format!("a[data-dialog='edit-{id}']")).await;
            let dialog = format!("#edit-{id}");
            b.fill(&format!("{dialog} input[name=name]"), "nightly-etl")
                .await;
            b.fill(
                &format!("{dialog} input[name=description]"),
                "loads the warehouse",
            )
            .await;
            b.submit(&format!("{dialog} button[type=submit]"), ".notice")
                .await;
            let table = b.text("table").await;
            assert!(table.contains("nightly-etl"), "{table}");
            assert!(table.contains("loads the warehouse"), "{table}");
        },
    )
    .await;
    let account = app
        .admin
        .get(&format!(
            "/api/v1/orgs/{}/service-accounts/{id}",
            super::ORG
        ))
        .await;
    assert_eq!(account.body["name"], "nightly-etl");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_and_groups_are_edited_after_creation() {
    let app = portal_app().await;
    let admin = app.admin_for(ORG);
    let role = admin
        .post(
            &format!("/api/v1/orgs/{ORG}/roles"),
            json!({"name": "auditors", "grants": [{"permission": "keys:read", "resource": "*"}]}),
        )
        .await;
    assert_eq!(role.status, 201, "{}", role.body);
    let role_id = role.body["id"].as_str().unwrap().to_owned();
    let group = admin
        .post(
            &format!("/api/v1/orgs/{ORG}/groups"),
            json!({"name": "readers", "roles": [role_id]}),
        )
        .await;
    assert_eq!(group.status, 201, "{}", group.body);
    let group_id = group.body["id"].as_str().unwrap().to_owned();
    run("roles_and_groups_are_edited", &app.address, async |b| {
        b.sign_in(OWNER, PASSWORD).await;
        b.goto(&org_path("/admin/roles")).await;
        b.click(&format!("a[href$='/admin/roles/{role_id}']")).await;
        assert!(
            b.find("input[name=permission][value='keys:read']")
                .await
                .is_selected()
                .await
                .unwrap(),
            "the picker starts with what the role holds"
        );
        b.fill("input[name=name]", "key auditors").await;
        b.fill("input[name=description]", "Read keys and the audit log")
            .await;
        b.click("input[name=permission][value='audit:read']").await;
        b.submit("#role-edit-form button[type=submit]", ".notice")
            .await;
        assert!(b.text("main .cards").await.contains("key auditors"));

        b.goto(&org_path("/admin/groups")).await;
        b.click(&format!("a[href$='/admin/groups/{group_id}']"))
            .await;
        b.fill("#group-edit-form input[name=name]", "key readers")
            .await;
        b.click(&format!("input[name=role][value='{role_id}']"))
            .await;
        b.click("input[name=member][value^='user:']").await;
        b.submit("#group-edit-form button[type=submit]", ".notice")
            .await;
    })
    .await;
    let role = admin
        .get(&format!("/api/v1/orgs/{ORG}/roles/{role_id}"))
        .await;
    assert_eq!(role.body["name"], "key auditors");
    assert_eq!(role.body["description"], "Read keys and the audit log");
    let granted: Vec<&str> = role.body["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(granted, ["keys:read", "audit:read"], "{}", role.body);
    let group = admin
        .get(&format!("/api/v1/orgs/{ORG}/groups/{group_id}"))
        .await;
    assert_eq!(group.body["name"], "key readers");
    assert_eq!(group.body["role_ids"], json!([]), "{}", group.body);
    assert_eq!(
        group.body["members"].as_array().unwrap().len(),
        1,
        "{}",
        group.body
    );
}

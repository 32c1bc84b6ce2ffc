//! The `shelfsync` command line, run as a real process.

#[path = "../common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Backend, TestDb};

fn shelfsync() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shelfsync"));
    command.env_remove("DATABASE_URL").env("RUST_LOG", "info");
    command
}

fn run(args: &[&str]) -> (bool, String, String) {
    let output = shelfsync()
        .args(args)
        .output()
        .expect("shelfsync should run");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["demo", "--help"],
        vec!["token", "--help"],
        vec!["token", "create", "--help"],
        vec!["webhook", "--help"],
        vec!["webhook", "create", "--help"],
        vec!["webhook", "list", "--help"],
        vec!["webhook", "rotate", "--help"],
        vec!["webhook", "delete", "--help"],
        vec!["merchant", "create", "--help"],
        vec!["merchant", "list", "--help"],
        vec!["staff", "--help"],
        vec!["staff", "deactivate", "--help"],
        vec!["export", "--help"],
        vec!["import", "--help"],
    ] {
        let (ok, stdout, _) = run(&args);
        assert!(ok, "{args:?}");
        assert!(stdout.contains("Usage: shelfsync"), "{args:?}: {stdout}");
    }
    let (_, stdout, _) = run(&["serve", "--help"]);
    for flag in [
        "--bind",
        "--database-url",
        "[env: SHELFSYNC_BIND=]",
        "[env: DATABASE_URL=",
        "--public-url",
        "[env: SHELFSYNC_PUBLIC_URL=]",
    ] {
        assert!(
            stdout.contains(flag),
            "serve --help mentions {flag}: {stdout}"
        );
    }
}

#[test]
fn an_unknown_subcommand_or_flag_is_refused_with_a_message() {
    let (ok, _, stderr) = run(&["frobnicate"]);
    assert!(!ok);
    assert!(
        stderr.contains("unrecognized subcommand 'frobnicate'"),
        "{stderr}"
    );
}

on_both_backends!(
    migrate_then_demo_then_a_token_work_on_a_fresh_database,
    merchant_create_opens_a_shop_with_the_password_from_the_environment_and_list_shows_it,
    a_token_revoked_from_the_command_line_is_refused_at_the_next_request,
    staff_deactivated_from_the_command_line_lose_their_sessions_at_once
);

// SQLite only: there the server learns of another process's commits by
// looking (`PRAGMA data_version`); on PostgreSQL every writer announces its
// changes with NOTIFY, which the instance tests cover.
mod a_catalogue_imported_from_the_command_line_is_served_at_the_next_read {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::a_catalogue_imported_from_the_command_line_is_served_at_the_next_read(
            super::Backend::Sqlite,
        )
        .await;
    }
}

async fn a_catalogue_imported_from_the_command_line_is_served_at_the_next_read(backend: Backend) {
    let app = common::spawn_app(backend).await;
    let secret = shelfsync::inventory::tokens::create_token(
        &mut app.conn(),
        app.demo_merchant_id(),
        "Online store",
        shelfsync::domain::TokenScope::Storefront,
        None,
    )
    .expect("a token")
    .secret;
    let read = |path: String| {
        let request = app.client.get(app.url(&path)).bearer_auth(&secret);
        async move {
            let response = request.send().await.expect("an answer");
            assert_eq!(response.status().as_u16(), 200, "{path}");
            response.text().await.expect("a body")
        }
    };
    let json = |body: String| -> serde_json::Value { serde_json::from_str(&body).expect("JSON") };
    let skus = |list: &serde_json::Value| -> Vec<String> {
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|item| item["sku"].as_str().map(str::to_owned))
            .collect()
    };
    let full = "/api/v1/storefront/items?limit=1000".to_owned();
    let before = json(read(full.clone()).await)["catalog_version"]
        .as_i64()
        .expect("a catalog version");
    let delta = format!("/api/v1/storefront/items?since_version={before}");
    // Each read twice, so the server holds every one of them in memory.
    for _ in 0..2 {
        read(full.clone()).await;
        assert!(skus(&json(read(delta.clone()).await)).is_empty());
        read("/shop/corner-goods".to_owned()).await;
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("lantern.csv");
    std::fs::write(
        &file,
        "sku,name,price,in_store,online\nOUT-1,Harbour lantern,19.00,yes,for_sale\n",
    )
    .expect("a file");

    let (imported, _, stderr) = run_async(
        [
            "import",
            &file.display().to_string(),
            "--database-url",
            &app.db.url,
            "--merchant",
            "corner-goods",
        ]
        .map(str::to_owned)
        .to_vec(),
    )
    .await;
    assert!(imported, "{stderr}");

    let changed = json(read(delta.clone()).await);
    assert!(
        changed["catalog_version"].as_i64() > Some(before),
        "the delta moved on: {changed}"
    );
    assert_eq!(skus(&changed), vec!["OUT-1".to_owned()]);
    assert!(skus(&json(read(full).await)).contains(&"OUT-1".to_owned()));
    let shop = common::html(&read("/shop/corner-goods".to_owned()).await);
    assert!(
        shop.select(&common::sel("body"))
            .next()
            .is_some_and(|body| body.text().any(|t| t.contains("Harbour lantern"))),
        "the shop page lists the imported item"
    );
}

#[test]
fn merchant_create_takes_no_password_flag() {
    let (ok, _, stderr) = run(&[
        "merchant",
        "create",
        "--name",
        "Harbour Books",
        "--slug",
        "harbour-books",
        "--owner-email",
        "hanna@harbour.example",
        "--password",
        "harbour-books-2026",
    ]);
    assert!(!ok);
    assert!(stderr.contains("--password"), "{stderr}");
}

async fn merchant_create_opens_a_shop_with_the_password_from_the_environment_and_list_shows_it(
    backend: Backend,
) {
    let db = TestDb::new(backend);
    let create = |slug: &str, password: &str| {
        shelfsync()
            .env("SHELFSYNC_OWNER_PASSWORD", password)
            .args([
                "merchant",
                "create",
                "--database-url",
                &db.url,
                "--name",
                "Harbour Books",
                "--slug",
                slug,
                "--owner-email",
                &format!("owner@{slug}.example"),
                "--currency",
                "EUR",
                "--time-zone",
                "Europe/Dublin",
                "--store",
                "Quayside",
            ])
            .stdin(Stdio::null())
            .output()
            .expect("shelfsync should run")
    };

    let created = create("harbour-books", "harbour-books-2026");
    let weak = create("weak-books", "password123");
    let taken = create("harbour-books", "harbour-books-2026");
    let bad_zone = shelfsync()
        .env("SHELFSYNC_OWNER_PASSWORD", "harbour-books-2026")
        .args([
            "merchant",
            "create",
            "--database-url",
            &db.url,
            "--name",
            "Zone",
            "--slug",
            "zone",
            "--owner-email",
            "zone@zone.example",
            "--time-zone",
            "Mars/Olympus",
        ])
        .output()
        .expect("shelfsync should run");

    assert!(created.status.success(), "{created:?}");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("SHELFSYNC_OWNER_PASSWORD"));
    assert!(!taken.status.success());
    assert!(String::from_utf8_lossy(&taken.stderr).contains("--slug"));
    assert!(!bad_zone.status.success());
    assert!(String::from_utf8_lossy(&bad_zone.stderr).contains("--time-zone"));
    let (ok, listed, _) = run(&["merchant", "list", "--database-url", &db.url]);
    assert!(ok);
    let rows: Vec<Vec<&str>> = listed.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 1, "{listed}");
    assert_eq!(
        &rows[0][1..],
        ["harbour-books", "Harbour Books", "EUR", "Europe/Dublin"]
    );
}

/// Runs the binary off the async workers, so the server in this process keeps serving.
async fn run_async(args: Vec<String>) -> (bool, String, String) {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&args)
    })
    .await
    .expect("the command ran")
}

async fn a_token_revoked_from_the_command_line_is_refused_at_the_next_request(backend: Backend) {
    let app = common::spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let issued = shelfsync::inventory::tokens::create_token(
        &mut app.conn(),
        merchant,
        "Online store",
        shelfsync::domain::TokenScope::Storefront,
        None,
    )
    .expect("a token");
    let read = || async {
        app.client
            .get(app.url("/api/v1/storefront/items?limit=1"))
            .bearer_auth(&issued.secret)
            .send()
            .await
            .expect("an answer")
            .status()
    };
    // Used, so any cache the server keeps would hold it.
    assert_eq!(read().await, 200);
    assert_eq!(read().await, 200);

    let (revoked, stdout, stderr) = run_async(vec![
        "token".into(),
        "revoke".into(),
        "--database-url".into(),
        app.db.url.clone(),
        "--merchant".into(),
        "corner-goods".into(),
        issued.token.id.to_string(),
    ])
    .await;

    assert!(revoked, "{stderr}");
    assert!(stdout.contains("is revoked"), "{stdout}");
    assert_eq!(read().await, 401);
}

async fn staff_deactivated_from_the_command_line_lose_their_sessions_at_once(backend: Backend) {
    let app = common::spawn_app(backend).await;
    let email = "second-owner@corner.example";
    let password = "a-long-passphrase-2026";
    shelfsync::inventory::merchants::create_staff(
        &mut app.conn(),
        app.demo_merchant_id(),
        &shelfsync::domain::Email::parse(email).expect("an email"),
        "Second owner",
        password,
    )
    .expect("a second owner");
    let browser = common::new_client();
    app.login_as(&browser, email, password).await;
    let items = |client: reqwest::Client| {
        let url = app.url("/items");
        async move { client.get(url).send().await.expect("an answer") }
    };
    assert_eq!(items(browser.clone()).await.status(), 200);

    let (deactivated, stdout, stderr) = run_async(vec![
        "staff".into(),
        "deactivate".into(),
        "--database-url".into(),
        app.db.url.clone(),
        "--merchant".into(),
        "corner-goods".into(),
        email.into(),
    ])
    .await;

    assert!(deactivated, "{stderr}");
    assert!(stdout.contains("is deactivated"), "{stdout}");
    let after = items(browser.clone()).await;
    assert_eq!(after.status(), 303);
    assert_eq!(after.headers()["location"], "/login");
    let (listed, stdout, _) = run_async(vec![
        "staff".into(),
        "list".into(),
        "--database-url".into(),
        app.db.url.clone(),
        "--merchant".into(),
        "corner-goods".into(),
    ])
    .await;
    assert!(listed);
    let line = stdout
        .lines()
        .find(|line| line.contains(email))
        .expect("the deactivated owner is listed");
    assert!(line.ends_with("\tdeactivated"), "{line}");
}

async fn migrate_then_demo_then_a_token_work_on_a_fresh_database(backend: Backend) {
    let db = TestDb::new(backend);

    let (migrated, stdout, stderr) = run(&["migrate", "--database-url", &db.url]);
    assert!(migrated, "{stderr}");
    assert!(stdout.contains("migration(s)"), "{stdout}");
    let (seeded, stdout, stderr) = run(&["demo", "--database-url", &db.url]);
    assert!(seeded, "{stderr}");
    assert!(stdout.contains(shelfsync::demo::EMAIL), "{stdout}");

    let (created, secret, stderr) = run(&[
        "token",
        "create",
        "--database-url",
        &db.url,
        "--merchant",
        "corner-goods",
        "--name",
        "Counter iPad",
        "--scope",
        "pos",
        "--location",
        "Downtown",
    ]);
    assert!(created, "{stderr}");
    assert!(
        secret
            .trim()
            .starts_with(shelfsync::inventory::tokens::SECRET_PREFIX),
        "{secret}"
    );
    let token = shelfsync::inventory::tokens::authenticate(
        &mut db.pool().get().expect("conn"),
        secret.trim(),
    )
    .expect("lookup")
    .expect("the printed secret is a live token");
    assert_eq!(token.scope.as_str(), "pos");

    let (refused, _, stderr) = run(&[
        "token",
        "create",
        "--database-url",
        &db.url,
        "--merchant",
        "corner-goods",
        "--name",
        "Till",
        "--scope",
        "pos",
    ]);
    assert!(!refused);
    assert!(
        stderr.contains("location_id"),
        "names what is missing: {stderr}"
    );
}

on_both_backends!(webhook_endpoints_are_created_listed_rotated_and_deleted_from_the_command_line);

on_both_backends!(
    export_writes_the_same_file_as_the_dashboard,
    import_previews_with_row_numbers_then_applies_all_or_nothing,
    an_import_killed_midway_leaves_all_of_the_file_or_none_of_it
);

/// `kill -9` of `shelfsync import` during the apply of 50,000 rows, again
/// and again: while it plans, then once it reports 10,000 and 30,000 items
/// written (its progress lines on standard error, so each kill lands inside
/// the transaction), then a run left to finish. After every kill the
/// catalogue holds every row of the file or none, and the ledger agrees
/// with the levels.
async fn an_import_killed_midway_leaves_all_of_the_file_or_none_of_it(backend: Backend) {
    const ROWS: i64 = 50_000;
    let db = TestDb::new(backend);
    let (seeded, _, stderr) = run(&["demo", "--database-url", &db.url]);
    assert!(seeded, "{stderr}");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("many.csv");
    let mut body = String::from("sku,name,price,in_store,online,stock:Downtown\n");
    for i in 0..ROWS {
        body.push_str(&format!(
            "KILL-{i},Item {i},{}.25,yes,for_sale,{}\n",
            i % 90,
            i % 7
        ));
    }
    std::fs::write(&file, body).expect("the file");
    let file = file.display().to_string();
    let imported = || {
        use diesel::prelude::*;
        use shelfsync::db::schema::items;
        let pool = shelfsync::db::open_pool(&db.url, 1).expect("the database");
        let mut conn = pool.get().expect("a connection");
        items::table
            .filter(items::sku.like("KILL-%"))
            .count()
            .get_result::<i64>(&mut conn)
            .expect("a count")
    };
    let import = || {
        shelfsync()
            .args([
                "import",
                &file,
                "--database-url",
                &db.url,
                "--merchant",
                "corner-goods",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("shelfsync should start")
    };

    // Killed while it reads and plans the file.
    let mut child = import();
    std::thread::sleep(Duration::from_millis(300));
    child.kill().expect("SIGKILL");
    child.wait().expect("the child is reaped");
    assert_eq!(imported(), 0, "a kill before the apply wrote nothing");
    let (checked, stdout, _) = run(&["check", "--database-url", &db.url]);
    assert!(checked, "after a kill while planning: {stdout}");

    // Killed inside the transaction, once part of the file is written.
    for written in [10_000, 30_000] {
        let mut child = import();
        let progress = child.stderr.take().expect("the child's standard error");
        let line = format!("applied {written} of {ROWS} items");
        let reached = BufReader::new(progress)
            .lines()
            .map_while(Result::ok)
            .any(|said| said == line);
        assert!(reached, "the import reports {line} before it ends");
        child.kill().expect("SIGKILL");
        child.wait().expect("the child is reaped");
        assert_eq!(
            imported(),
            0,
            "after a kill at {written} items written, none of them stay"
        );
        let (checked, stdout, _) = run(&["check", "--database-url", &db.url]);
        assert!(checked, "after a kill at {written} items: {stdout}");
    }

    let (applied, stdout, stderr) = run(&[
        "import",
        &file,
        "--database-url",
        &db.url,
        "--merchant",
        "corner-goods",
    ]);
    assert!(applied, "{stdout} {stderr}");
    assert_eq!(imported(), ROWS);
    let (checked, stdout, _) = run(&["check", "--database-url", &db.url]);
    assert!(checked, "after the whole file: {stdout}");
}

async fn import_previews_with_row_numbers_then_applies_all_or_nothing(backend: Backend) {
    let app = common::spawn_app(backend).await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = |name: &str| dir.path().join(name).display().to_string();
    std::fs::write(
        path("bad.csv"),
        "Code,Title,Cost,Downtown\nCLI-1,Cedar box,12.00,4\nCLI-2,,-3,x\n",
    )
    .expect("a file");
    std::fs::write(
        path("good.csv"),
        "Code,Title,Cost,Downtown\nCLI-1,Cedar box,12.00,4\nCLI-2,Pine box,9.50,2\n",
    )
    .expect("a file");
    std::fs::write(
        path("mapping.csv"),
        "column,field\nCode,sku\nTitle,name\nCost,price\nDowntown,stock:Downtown\n",
    )
    .expect("a mapping");
    let import = |file: &str, more: &[&str]| {
        let mut args: Vec<String> = [
            "import",
            &path(file),
            "--database-url",
            &app.db.url,
            "--merchant",
            "corner-goods",
            "--mapping",
            &path("mapping.csv"),
        ]
        .map(str::to_owned)
        .to_vec();
        args.extend(more.iter().map(|a| (*a).to_owned()));
        run_async(args)
    };
    let count_items = || {
        use diesel::prelude::*;
        use shelfsync::db::schema::items;
        items::table
            .filter(items::sku.like("CLI-%"))
            .count()
            .get_result::<i64>(&mut app.conn())
            .expect("a count")
    };

    let (bad_ok, bad_out, bad_err) = import("bad.csv", &[]).await;
    let (dry_ok, dry_out, _) = import("good.csv", &["--dry-run"]).await;
    let after_dry_run = count_items();
    let (applied_ok, applied_out, applied_err) = import("good.csv", &[]).await;
    let (again_ok, again_out, _) = import("good.csv", &[]).await;
    let (unmapped_ok, _, unmapped_err) = run_async(
        [
            "import",
            &path("good.csv"),
            "--database-url",
            &app.db.url,
            "--merchant",
            "corner-goods",
        ]
        .map(str::to_owned)
        .to_vec(),
    )
    .await;

    assert!(!bad_ok);
    assert!(
        bad_out.contains("2 rows; 1 new, 0 changed, 0 unchanged, 3 with errors"),
        "{bad_out}"
    );
    assert!(
        bad_err.contains("row 3, column Title: Name is required"),
        "{bad_err}"
    );
    assert!(
        bad_err.contains("row 3, column Cost: Price cannot be negative"),
        "{bad_err}"
    );
    assert!(bad_err.contains("row 3, column Downtown:"), "{bad_err}");
    assert!(bad_err.contains("nothing was changed"), "{bad_err}");
    assert!(dry_ok);
    assert!(
        dry_out.contains("2 new") && dry_out.contains("dry run"),
        "{dry_out}"
    );
    assert_eq!(after_dry_run, 0);
    assert!(applied_ok, "{applied_err}");
    assert!(
        applied_out.contains("applied: 2 new, 0 changed"),
        "{applied_out}"
    );
    assert!(
        applied_err.contains("applied 2 of 2 items"),
        "plain progress lines off a terminal: {applied_err}"
    );
    assert_eq!(count_items(), 2);
    assert!(again_ok);
    assert!(again_out.contains("nothing to change"), "{again_out}");
    assert!(!unmapped_ok);
    assert!(
        unmapped_err.contains("row 1, column Code"),
        "{unmapped_err}"
    );
    let (checked, _, _) = run_async(
        ["check", "--database-url", &app.db.url]
            .map(str::to_owned)
            .to_vec(),
    )
    .await;
    assert!(
        checked,
        "the ledger agrees with the levels after the import"
    );
}

async fn export_writes_the_same_file_as_the_dashboard(backend: Backend) {
    let app = common::spawn_app(backend).await;
    app.login().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("items.csv");
    let file_arg = file.display().to_string();

    let (written, _, stderr) = run_async(
        [
            "export",
            "--database-url",
            &app.db.url,
            "--merchant",
            "corner-goods",
            "--filter",
            "for_sale",
            "--output",
            &file_arg,
        ]
        .map(str::to_owned)
        .to_vec(),
    )
    .await;
    let (to_stdout, stdout, _) = run_async(
        [
            "export",
            "--database-url",
            &app.db.url,
            "--merchant",
            "corner-goods",
        ]
        .map(str::to_owned)
        .to_vec(),
    )
    .await;
    let (bad_filter, _, bad_stderr) = run_async(
        [
            "export",
            "--database-url",
            &app.db.url,
            "--merchant",
            "corner-goods",
            "--filter",
            "bogus",
        ]
        .map(str::to_owned)
        .to_vec(),
    )
    .await;

    assert!(written, "{stderr}");
    let from_dashboard = app
        .get("/items/export.csv?filter=for_sale")
        .await
        .text()
        .await
        .expect("a body");
    let from_cli = std::fs::read_to_string(&file).expect("the file was written");
    assert_eq!(from_cli, from_dashboard);
    assert!(from_cli.lines().count() > 1);
    assert!(to_stdout);
    assert_eq!(
        stdout,
        app.get("/items/export.csv")
            .await
            .text()
            .await
            .expect("a body")
    );
    assert!(!bad_filter);
    assert!(bad_stderr.contains("--filter"), "{bad_stderr}");
}

async fn webhook_endpoints_are_created_listed_rotated_and_deleted_from_the_command_line(
    backend: Backend,
) {
    let db = TestDb::new(backend);
    let (seeded, _, stderr) = run(&["demo", "--database-url", &db.url]);
    assert!(seeded, "{stderr}");
    let base = [
        "--database-url",
        db.url.as_str(),
        "--merchant",
        "corner-goods",
    ];
    let with = |command: &[&str], more: &[&str]| {
        let mut args: Vec<&str> = command.to_vec();
        args.extend_from_slice(&base);
        args.extend_from_slice(more);
        run(&args)
    };

    let (created, secret, stderr) = with(
        &["webhook", "create"],
        &[
            "--url",
            "https://shop.example/hooks",
            "--event-type",
            "item.listing_changed",
        ],
    );
    let (refused, _, refusal) = with(
        &["webhook", "create"],
        &["--url", "http://169.254.169.254/latest/meta-data/"],
    );
    let (listed, list, _) = with(&["webhook", "list"], &[]);

    assert!(created, "{stderr}");
    let secret = secret.trim().to_owned();
    assert!(
        secret.starts_with("whsec_"),
        "the secret alone on stdout: {secret}"
    );
    assert!(!refused, "a metadata address is refused");
    assert!(refusal.contains("url"), "names the field: {refusal}");
    assert!(listed);
    let line: Vec<&str> = list
        .lines()
        .next()
        .expect("one endpoint")
        .split('\t')
        .collect();
    assert_eq!(line[1], "enabled");
    assert_eq!(line[2], "https://shop.example/hooks");
    assert_eq!(line[3], "item.listing_changed");
    assert!(!list.contains(&secret), "list never shows the secret");
    let id = line[0];

    let (rotated, new_secret, stderr) = with(&["webhook", "rotate"], &[id]);
    assert!(rotated, "{stderr}");
    assert!(new_secret.trim().starts_with("whsec_"));
    assert_ne!(new_secret.trim(), secret);
    let (deleted, _, stderr) = with(&["webhook", "delete"], &[id]);
    assert!(deleted, "{stderr}");
    let (_, list, _) = with(&["webhook", "list"], &[]);
    assert!(list.trim().is_empty(), "{list}");
    let (missing, _, stderr) = with(&["webhook", "delete"], &[id]);
    assert!(!missing);
    assert!(stderr.contains("not found"), "{stderr}");
}

#[test]
fn serve_on_an_empty_database_seeds_the_demo_and_logs_the_login_once() {
    let db = TestDb::new(Backend::Sqlite);
    let mut child = shelfsync()
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url", &db.url])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("serve starts");
    let stderr = child.stderr.take().expect("stderr is piped");
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut log = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline
        && !log
            .iter()
            .any(|l: &String| l.contains("shelfsync is serving on http://127.0.0.1:"))
    {
        if let Ok(line) = lines_rx.recv_timeout(Duration::from_millis(200)) {
            log.push(line);
        }
    }
    child.kill().expect("stop the server");
    let _ = child.wait();

    let logins = log
        .iter()
        .filter(|l| l.contains(shelfsync::demo::EMAIL) && l.contains(shelfsync::demo::PASSWORD))
        .count();
    assert_eq!(logins, 1, "{log:#?}");
    assert!(
        log.iter()
            .any(|l| l.contains("shelfsync is serving on http://127.0.0.1:")),
        "{log:#?}"
    );
}

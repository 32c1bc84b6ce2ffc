//! Sign-in throttling: five failures within fifteen minutes for one email or
//! from one address, then 429 with `Retry-After` — the same for an email no
//! account has — and sign-ins and lockouts in the activity log.

use reqwest::Response;
use scraper::Html;
use shelfsync::inventory::sign_in::{self, Attempt, Outcome};

use crate::common::{
    Backend, DEMO_EMAIL, DEMO_PASSWORD, TestApp, attr_of, html, new_client, sel, spawn_app, text_of,
};
use crate::on_both_backends;

on_both_backends!(
    five_failures_lock_an_account_with_429_and_retry_after_even_for_the_right_password,
    an_unknown_email_is_locked_the_same_way_so_accounts_cannot_be_told_apart,
    failures_from_one_address_lock_it_for_every_email,
    a_success_clears_the_accounts_failures_and_is_in_the_activity_log,
    a_deactivated_account_is_refused_like_a_wrong_password,
    the_password_is_checked_holding_no_database_connection
);

/// Posts the login form from `client` and returns the answer.
async fn attempt(app: &TestApp, client: &reqwest::Client, email: &str, password: &str) -> Response {
    let page = client
        .get(app.url("/login"))
        .send()
        .await
        .expect("the login page");
    let doc = html(&page.text().await.expect("a body"));
    let token = attr_of(&doc, "input[name=csrf_token]", "value").expect("a CSRF token");
    client
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .expect("the sign-in should be answered")
}

/// Status, `Retry-After` and the page's message.
async fn answer(response: Response) -> (u16, Option<u64>, Option<String>, Html) {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let doc = html(&response.text().await.expect("a body"));
    (status, retry_after, text_of(&doc, ".notice.error"), doc)
}

async fn fail_times(app: &TestApp, email: &str, times: usize) {
    for n in 0..times {
        let (status, retry_after, _, _) =
            answer(attempt(app, &new_client(), email, "wrong password").await).await;
        assert_eq!((status, retry_after), (401, None), "failure {}", n + 1);
    }
}

async fn five_failures_lock_an_account_with_429_and_retry_after_even_for_the_right_password(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    fail_times(&app, DEMO_EMAIL, sign_in::MAX_FAILURES).await;

    let (status, retry_after, message, doc) =
        answer(attempt(&app, &app.client, DEMO_EMAIL, DEMO_PASSWORD).await).await;

    assert_eq!(status, 429);
    let seconds = retry_after.expect("a Retry-After header");
    assert!(
        (1..=sign_in::WINDOW.num_seconds() as u64).contains(&seconds),
        "{seconds}"
    );
    let message = message.expect("a message");
    let minutes: u64 = message
        .split("Try again in ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the page says when to try again: {message}"));
    assert_eq!(minutes, seconds.div_ceil(60), "{message}");
    // The form is there to try again later, and no session was begun.
    assert!(doc.select(&sel("form[action='/login']")).next().is_some());
    assert_eq!(app.get("/items").await.status(), 303);
}

async fn an_unknown_email_is_locked_the_same_way_so_accounts_cannot_be_told_apart(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let unknown_email = "nobody@cornergoods.example";
    let known = attempt(&app, &new_client(), DEMO_EMAIL, "wrong password").await;
    let unknown = attempt(&app, &new_client(), unknown_email, "wrong password").await;
    let (known_status, _, known_message, _) = answer(known).await;
    let (unknown_status, _, unknown_message, _) = answer(unknown).await;
    assert_eq!(known_status, 401);
    assert_eq!(
        (known_status, &known_message),
        (unknown_status, &unknown_message)
    );

    // Both emails fail four more times, each from another address, so only
    // the emails' own counts lock.
    for (n, email) in [DEMO_EMAIL, unknown_email].into_iter().enumerate() {
        for k in 0..sign_in::MAX_FAILURES - 1 {
            let pool = app.pool.clone();
            let address = format!("198.51.100.{}", n * 10 + k);
            let outcome = tokio::task::spawn_blocking(move || {
                sign_in::sign_in(
                    &pool,
                    Attempt {
                        email,
                        password: "wrong password",
                        address: &address,
                    },
                )
            })
            .await
            .expect("ran")
            .expect("an outcome");
            assert!(matches!(outcome, Outcome::Refused));
        }
    }
    let known = answer(attempt(&app, &new_client(), DEMO_EMAIL, DEMO_PASSWORD).await).await;
    let unknown = answer(attempt(&app, &new_client(), unknown_email, "anything").await).await;

    assert_eq!(known.0, 429);
    assert_eq!((known.0, &known.2), (unknown.0, &unknown.2));
    assert!(known.1.is_some() && unknown.1.is_some());
    assert!(
        known
            .2
            .is_some_and(|m| m.contains("Too many failed sign-ins"))
    );
}

async fn failures_from_one_address_lock_it_for_every_email(backend: Backend) {
    let app = spawn_app(backend).await;
    for n in 0..sign_in::MAX_FAILURES {
        let email = format!("guess{n}@cornergoods.example");
        let (status, ..) = answer(attempt(&app, &new_client(), &email, "wrong").await).await;
        assert_eq!(status, 401, "{email}");
    }

    // Every test client is 127.0.0.1: the address is now locked, whatever the email.
    let (status, retry_after, ..) =
        answer(attempt(&app, &app.client, DEMO_EMAIL, DEMO_PASSWORD).await).await;

    assert_eq!(status, 429);
    assert!(retry_after.is_some());
}

async fn a_success_clears_the_accounts_failures_and_is_in_the_activity_log(backend: Backend) {
    let app = spawn_app(backend).await;
    // From two other addresses (through the service), so the address limit stays clear.
    let pool = app.pool.clone();
    let fail = |address: &'static str| {
        let pool = pool.clone();
        move || {
            sign_in::sign_in(
                &pool,
                Attempt {
                    email: DEMO_EMAIL,
                    password: "wrong password",
                    address,
                },
            )
            .expect("an outcome")
        }
    };
    for _ in 0..sign_in::MAX_FAILURES - 1 {
        assert!(matches!(
            tokio::task::spawn_blocking(fail("192.0.2.1"))
                .await
                .expect("ran"),
            Outcome::Refused
        ));
    }
    app.login().await;
    // The success forgot the account's four failures: four more are allowed.
    for _ in 0..sign_in::MAX_FAILURES - 1 {
        assert!(matches!(
            tokio::task::spawn_blocking(fail("192.0.2.2"))
                .await
                .expect("ran"),
            Outcome::Refused
        ));
    }
    // The fifth locks the account, which the activity log shows.
    assert!(matches!(
        tokio::task::spawn_blocking(fail("192.0.2.2"))
            .await
            .expect("ran"),
        Outcome::Refused
    ));
    assert!(matches!(
        tokio::task::spawn_blocking(fail("192.0.2.3"))
            .await
            .expect("ran"),
        Outcome::Throttled { .. }
    ));

    let doc = app.get_html("/activity").await;
    let kinds: Vec<String> = doc
        .select(&sel(".sign-ins tr.sign-in-event"))
        .filter_map(|row| row.value().attr("data-kind").map(str::to_owned))
        .collect();
    assert_eq!(kinds, ["locked_out", "signed_in"]);
    let rows: Vec<String> = doc
        .select(&sel(".sign-ins tr.sign-in-event td:nth-child(4)"))
        .map(|td| td.text().collect::<String>())
        .collect();
    assert_eq!(rows, ["192.0.2.2", "127.0.0.1"]);
}

async fn a_deactivated_account_is_refused_like_a_wrong_password(backend: Backend) {
    let app = spawn_app(backend).await;
    let (email, password) = ("second-owner@corner.example", "a-long-passphrase-2026");
    let second = shelfsync::inventory::merchants::create_staff(
        &mut app.conn(),
        app.demo_merchant_id(),
        &shelfsync::domain::Email::parse(email).expect("an email"),
        "Second owner",
        password,
    )
    .expect("a second owner");
    let wrong = answer(attempt(&app, &new_client(), email, "wrong password").await).await;
    shelfsync::inventory::staff::deactivate_staff(
        &mut app.conn(),
        &shelfsync::inventory::Actor::command_line(),
        app.demo_merchant_id(),
        second.id,
    )
    .expect("deactivated");

    let deactivated = answer(attempt(&app, &new_client(), email, password).await).await;

    assert_eq!((deactivated.0, &deactivated.2), (wrong.0, &wrong.2));
    assert_eq!(deactivated.0, 401);
}

async fn the_password_is_checked_holding_no_database_connection(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.pool.clone();

    let (outcome, in_use_while_hashing) = tokio::task::spawn_blocking(move || {
        let watched = pool.clone();
        let mut in_use = None;
        let outcome = sign_in::sign_in_checking(
            &pool,
            Attempt {
                email: DEMO_EMAIL,
                password: DEMO_PASSWORD,
                address: "192.0.2.9",
            },
            |stored, password| {
                let state = watched.state();
                in_use = Some(state.connections - state.idle_connections);
                shelfsync::inventory::merchants::password_matches(stored, password)
            },
        );
        (outcome, in_use)
    })
    .await
    .expect("ran");

    assert_eq!(
        in_use_while_hashing,
        Some(0),
        "no connection is held during argon2"
    );
    assert!(matches!(outcome, Ok(Outcome::SignedIn { .. })));
}

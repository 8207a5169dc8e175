//! Headless Chromium driven over WebDriver: Debian's `chromedriver` on a
//! free port, a fresh profile per test, and a screenshot of the page when
//! a test fails. Without Chromium the tests skip, except in CI.

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use futures::FutureExt;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tempfile::TempDir;
use tokio::process::{Child, Command};
use tokio::sync::Semaphore;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// Browsers at once: the machines are small and the API tests run alongside.
static SLOTS: Semaphore = Semaphore::const_new(2);

/// The workspace's root folder.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"))
}

fn binary(var: &str, default: &str) -> Option<PathBuf> {
    let path = std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from);
    path.exists().then_some(path)
}

/// A browser session in front of the app at `base`.
pub struct Browser {
    pub client: Client,
    pub base: String,
    driver: Child,
    _profile: TempDir,
}

impl Browser {
    /// Starts chromedriver and Chromium; `None` (after saying so) when they
    /// are not installed, a failure in CI.
    async fn start(base: &str) -> Option<Self> {
        let (Some(driver), Some(chromium)) = (
            binary("CHROMEDRIVER", CHROMEDRIVER),
            binary("CHROMIUM", CHROMIUM),
        ) else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "chromium and chromedriver are not installed but CI=true: the portal's browser \
                 tests must run in CI (apt-get install chromium chromium-driver)"
            );
            eprintln!(
                "skipped: chromium or chromedriver is not installed, so the portal was not tested in a browser"
            );
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().expect("a profile folder");
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--no-first-run", "--disable-dev-shm-usage", "--window-size=1200,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = None;
        for _ in 0..100 {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Some(Self {
                        client,
                        base: base.to_owned(),
                        driver,
                        _profile: profile,
                    });
                }
                Err(e) => last_error = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start a session: {last_error:?}");
    }

    async fn stop(mut self) {
        self.client.close().await.ok();
        self.driver.kill().await.ok();
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The path of the page shown.
    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("the URL")
            .path()
            .to_owned()
    }

    /// Waits for an element to be there.
    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("a query")
            .is_empty()
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear a field");
        field.send_keys(text).await.expect("type into a field");
    }

    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Submits with the button `css` and waits for the next page to have `then`.
    pub async fn submit(&self, css: &str, then: &str) {
        self.click(css).await;
        self.find(then).await;
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css)
            .await
            .text()
            .await
            .expect("an element's text")
    }

    pub async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .expect("a value")
            .unwrap_or_default()
    }

    pub async fn source(&self) -> String {
        self.client.source().await.expect("the page source")
    }

    /// Signs in through the form and waits for the first page.
    pub async fn sign_in(&self, email: &str, password: &str) {
        self.goto("/login").await;
        self.fill("input[name=email]", email).await;
        self.fill("input[name=password]", password).await;
        self.submit("form[action='/login'] button[type=submit]", "main h1")
            .await;
        // The login page has a `main h1` too: wait for the navigation.
        for _ in 0..50 {
            if self.path().await != "/login" {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("signing in as {email} failed: {}", self.text("main").await);
    }

    /// Signs out and waits for the sign-in page: a page with an email
    /// field of its own (the members page) must not pass for it.
    pub async fn sign_out(&self) {
        self.click("details.account summary").await;
        self.submit("form[action='/logout'] button", "form[action='/login']")
            .await;
        self.wait_for_path("/login").await;
    }

    /// Waits for the browser to show `path`.
    pub async fn wait_for_path(&self, path: &str) {
        for _ in 0..100 {
            if self.path().await == path {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the browser stayed on {} instead of {path}",
            self.path().await
        );
    }

    /// Saves a PNG of the viewport.
    pub async fn screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.expect("a screenshot");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("a screenshot folder");
        }
        std::fs::write(path, png).expect("write a screenshot");
    }
}

/// Runs a browser test against the app at `base`; on failure saves
/// `target/portal-screenshots/<name>.png`, then fails with the test's panic.
pub async fn run(name: &str, base: &str, test: impl AsyncFnOnce(&Browser)) {
    let _slot = SLOTS.acquire().await.expect("the browser slots");
    let Some(browser) = Browser::start(base).await else {
        return;
    };
    let outcome = AssertUnwindSafe(test(&browser)).catch_unwind().await;
    if outcome.is_err() {
        let path = target_dir()
            .join("portal-screenshots")
            .join(format!("{name}.png"));
        browser.screenshot(&path).await;
        eprintln!("screenshot of the failure: {}", path.display());
    }
    browser.stop().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

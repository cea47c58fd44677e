//! What pages receive from server functions. No secrets: no hashes, no ids that are not shown.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub username: String,
    pub email: String,
    pub email_masked: String,
    pub confirmed: bool,
    pub is_admin: bool,
    pub joined: String,
    /// What goes before image names: `HOST[:PORT]`.
    pub registry_host: String,
    /// The longest repository name in the user's namespace (Docker's 255 for the whole
    /// `HOST/NAMESPACE/NAME`).
    pub repo_name_max: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub username: String,
    pub joined: String,
    pub is_me: bool,
    /// Public repositories only, whoever looks.
    pub repositories: Vec<RepoSummary>,
    /// Starred repositories the viewer may see.
    pub starred: Vec<RepoSummary>,
    /// Set when the name is an organization's: its page instead of a person's.
    pub org: Option<OrgView>,
}

/// An organization's page: its repositories the viewer may see, and for members the tab asked
/// for (members, teams, one team, settings).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgView {
    pub name: String,
    pub display_name: String,
    /// The viewer's role (`member`, `editor`, `owner`), if they are a member.
    pub role: Option<String>,
    pub is_owner: bool,
    /// Editors and owners create repositories here.
    pub can_create: bool,
    /// Members (and site administrators) see the members and teams tabs.
    pub can_see_members: bool,
    pub tab: String,
    pub repositories: Vec<RepoSummary>,
    pub members: Vec<MemberItem>,
    /// Pending invitations, for owners.
    pub invitations: Vec<InvitationItem>,
    pub teams: Vec<TeamItem>,
    pub team: Option<TeamDetailView>,
    /// Settings, for owners.
    pub email: String,
    pub private_usage: Option<String>,
    pub storage_usage: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberItem {
    pub username: String,
    pub role: String,
    pub joined: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationItem {
    pub id: i64,
    pub org: String,
    /// The Berth ID, or the address of an invitation by email (shown to the organization's
    /// owners, who typed it, and to its recipient).
    pub who: String,
    pub role: String,
    pub invited_by: String,
    pub expires: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamItem {
    pub name: String,
    pub description: String,
    pub members: i64,
    pub repositories: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamDetailView {
    pub name: String,
    pub description: String,
    pub members: Vec<String>,
    /// (repository name, permission label).
    pub repositories: Vec<(String, String)>,
}

/// The dashboard's organizations and the invitations waiting for the user.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardOrgs {
    /// (name, display name, role).
    pub orgs: Vec<(String, String, String)>,
    pub invitations: Vec<InvitationItem>,
    /// "You store 12 MB." (what the viewer's own repositories store).
    pub storage_usage: String,
}

/// The invitation page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub org: String,
    pub role: String,
    pub invited_by: String,
    pub expires: String,
    /// Who is logged in, if anyone.
    pub viewer: Option<String>,
}

/// The settings tab's teams section of an organization's repository.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoTeams {
    /// (team, permission `read`/`write`/`admin`, its label).
    pub granted: Vec<(String, String, String)>,
    pub all: Vec<String>,
}

/// Whether a reset link can be used, for the reset page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkState {
    Valid,
    Invalid(String),
}

/// A repository in lists (dashboard, profiles) and in the repository page's header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoSummary {
    pub namespace: String,
    pub name: String,
    pub full_name: String,
    pub description: String,
    pub is_private: bool,
    /// "3 days ago", or `None` before the first push.
    pub last_pushed: Option<String>,
    pub last_pushed_exact: Option<String>,
    pub pull_count: i64,
    pub star_count: i64,
    pub tag_count: i64,
    /// Someone else's repository the viewer collaborates on (dashboard).
    pub shared: bool,
    /// In the `library` namespace.
    pub is_official: bool,
    /// Built from a linked git repository (automated builds).
    pub is_automated: bool,
}

/// The dashboard's repository list and the namespaces it can switch between.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardRepos {
    /// The viewer's own namespace first, then their organizations.
    pub namespaces: Vec<String>,
    pub namespace: String,
    pub repos: Vec<RepoSummary>,
}

/// One row of the tags tab.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagItem {
    pub name: String,
    pub digest: String,
    pub short_digest: String,
    /// "linux/amd64, linux/arm64/v8".
    pub platforms: String,
    pub size: String,
    pub pushed_ago: String,
    pub pushed_exact: String,
    pub pushed_by: String,
    pub pull_command: String,
    pub pulls: i64,
    /// "2 hours ago", or `None` before the first pull by this tag.
    pub last_pulled: Option<String>,
    pub last_pulled_exact: Option<String>,
    /// Covered by the repository's immutable-tag rule: shown with a lock, never offered Delete.
    pub immutable: bool,
}

/// The tags tab: one page of tags and how it was asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagList {
    pub tags: Vec<TagItem>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    /// "name" or "newest".
    pub sort: String,
    pub filter: String,
}

/// Everything the repository page shows to its viewer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoView {
    pub summary: RepoSummary,
    /// `docker pull HOST/NS/NAME:TAG` with `latest` if it exists, else the newest tag; `None`
    /// while the repository has no tags.
    pub pull_command: Option<String>,
    /// `docker tag` and `docker push` lines, for those who may push.
    pub push_commands: Option<String>,
    /// Sanitised HTML of the Markdown overview.
    pub overview_html: String,
    /// The Markdown source, for those who may edit it.
    pub overview_source: Option<String>,
    pub can_manage: bool,
    /// The git repository an automated repository builds from.
    pub source_url: Option<String>,
    /// Berth IDs of the collaborators, for those who may manage.
    pub collaborators: Vec<String>,
    /// "1 of 1 private repository used.", for the owner on the settings tab.
    pub private_usage: Option<String>,
    /// For an organization's repository on the settings tab: its teams' permissions (instead
    /// of collaborators).
    pub teams: Option<RepoTeams>,
    /// The namespaces the viewer may move the repository to, on the settings tab.
    pub transfer_targets: Vec<String>,
    /// The repository's webhooks, on the settings tab.
    pub webhooks: Vec<WebhookItem>,
    /// "4.2 MB": what the repository stores (distinct layers), on the overview and settings tabs.
    pub stored: Option<String>,
    /// Tag rules, retention and storage, on the settings tab.
    pub storage: Option<StorageView>,
    pub tags: TagList,
    pub star: StarState,
    /// Daily pulls of the last 30 days, on the overview tab.
    pub chart: Option<PullChart>,
}

/// A repository's star button.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StarState {
    pub namespace: String,
    pub name: String,
    pub count: i64,
    pub starred: bool,
    /// Logged in and confirmed: the button works; otherwise the count is shown with why not.
    pub can_star: bool,
    /// Why the viewer cannot star, when they cannot.
    pub hint: Option<String>,
}

/// Pulls per day for the chart: oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullChart {
    /// "22 Nov" and the pulls of that day.
    pub days: Vec<(String, i64)>,
    pub total: i64,
}

/// One search result with the parts the query matched marked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    pub summary: RepoSummary,
    pub namespace: Vec<(String, bool)>,
    pub name: Vec<(String, bool)>,
    pub description: Vec<(String, bool)>,
}

/// `/search` and `/explore`: one page of repositories and how it was asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchView {
    pub query: String,
    pub official_only: bool,
    /// A `berth_core::discover::Sort` key.
    pub sort: String,
    /// Every sort the page offers: key and label.
    pub sorts: Vec<(String, String)>,
    pub hits: Vec<SearchHit>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// A link of the tag page's platform switcher.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformLink {
    pub label: String,
    pub href: String,
    pub current: bool,
}

/// One step of the build, beside the size of the layer it made ("0 B" for metadata).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    pub instruction: String,
    pub size: String,
    pub adds_layer: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerView {
    pub digest: String,
    pub short_digest: String,
    pub size: String,
    pub uncompressed: Option<String>,
}

/// One platform's image on the tag page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageView {
    pub platform: String,
    pub digest: String,
    pub compressed: String,
    /// Once every layer was measured.
    pub uncompressed: Option<String>,
    /// Created, entrypoint, command, working directory, user, ports, volumes: what is set.
    pub facts: Vec<(String, String)>,
    pub env: Vec<String>,
    pub labels: Vec<(String, String)>,
    /// Empty for an image imported without build history.
    pub steps: Vec<StepView>,
    pub layers: Vec<LayerView>,
    /// Whether the configuration could be read (not for artifacts).
    pub has_config: bool,
}

/// `/r/NAMESPACE/NAME/tags/TAG`: one tag as an image view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagView {
    pub namespace: String,
    pub name: String,
    pub full_name: String,
    pub tag: String,
    pub is_private: bool,
    pub can_manage: bool,
    pub digest: String,
    pub index_digest: Option<String>,
    pub media_type: String,
    pub pushed_ago: String,
    pub pushed_exact: String,
    pub pushed_by: String,
    pub pull_command: String,
    /// For a multi-platform image, one link per platform; empty otherwise.
    pub platforms: Vec<PlatformLink>,
    /// The platform shown (the one asked for, else the first).
    pub image: Option<ImageView>,
    /// The git commit an automated build made this tag from.
    pub source_commit: Option<String>,
    /// The build page of the build that pushed it, for those who manage the repository.
    pub source_build: Option<String>,
    /// Covered by the repository's immutable-tag rule.
    pub immutable: bool,
}

/// `/settings`: the account and its defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSettings {
    pub username: String,
    pub email: String,
    pub joined: String,
    /// Whether repositories created by `docker push` start private.
    pub default_private: bool,
    /// "1 of 1 private repository used."
    pub private_usage: String,
    /// "alice stores 12 MB of its 5.0 GB limit."
    pub storage_usage: String,
}

/// One account on the administrators' plans page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanItem {
    pub username: String,
    pub email: String,
    pub confirmed: bool,
    pub is_admin: bool,
    pub joined: String,
    pub private_used: i64,
    pub private_limit: i64,
}

/// `/admin/plans`: one page of accounts and how it was asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanList {
    pub accounts: Vec<PlanItem>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub filter: String,
}

/// One personal access token in the Security page's list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenItem {
    pub id: i64,
    pub description: String,
    pub level: String,
    /// "all repositories", or the namespaces and repositories it is limited to.
    pub limits: String,
    pub created: String,
    /// "never", or a date; with "(expired)" once past.
    pub expires: String,
    pub last_used: Option<String>,
    pub active: bool,
    pub usable: bool,
}

/// One line of the activity log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityItem {
    pub at: String,
    pub ago: String,
    pub what: String,
    pub detail: String,
    pub ip: String,
}

/// `/settings/security`: access tokens, two-factor authentication, password, email, deleting
/// the account, and the activity log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityView {
    pub username: String,
    pub email: String,
    pub registry_host: String,
    pub tokens: Vec<TokenItem>,
    /// A token just created: (description, secret), shown this once.
    pub new_token: Option<(String, String)>,
    pub two_factor: bool,
    pub recovery_codes_left: i64,
    /// Recovery codes just made, shown this once.
    pub new_recovery_codes: Vec<String>,
    /// Two-factor setup in progress: (secret for typing in, QR code as SVG made by Berth).
    pub setup: Option<(String, String)>,
    pub activity: Vec<ActivityItem>,
}

/// A repository's tag rules, retention rules and their log, and its namespace's storage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageView {
    /// "acme stores 1.2 GB of its 5.0 GB limit." or "acme stores 1.2 GB."
    pub namespace_usage: String,
    /// "none", "all" or "pattern".
    pub immutable_mode: String,
    pub immutable_pattern: String,
    pub untagged_days: i64,
    pub keep_last: i64,
    pub keep_pattern: String,
    pub unpulled_days: i64,
    pub log: Vec<RetentionLogItem>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionLogItem {
    pub when: String,
    pub what: String,
    pub rule: String,
    pub freed: String,
}

/// What the retention rules would delete now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPlanView {
    /// (`repo:tag` or `repo@digest`, the rule).
    pub items: Vec<(String, String)>,
    pub freed: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookItem {
    pub id: i64,
    pub name: String,
    pub url: String,
    /// Event names (`tag_pushed`, …).
    pub events: Vec<String>,
    pub has_secret: bool,
    pub active: bool,
    /// Why Berth turned it off, if it did.
    pub disabled_reason: Option<String>,
    pub last_state: Option<String>,
}

/// A webhook's page: its settings and its delivery log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookView {
    pub full_name: String,
    pub hook: WebhookItem,
    /// (event name, label) of the events a webhook may subscribe to.
    pub choices: Vec<(String, String)>,
    pub deliveries: Vec<DeliveryItem>,
    pub kept: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryItem {
    pub row: i64,
    pub delivery_id: String,
    pub event: String,
    pub state: String,
    pub status: Option<i64>,
    pub when: String,
    pub body: String,
    pub attempts: Vec<AttemptItem>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptItem {
    pub when: String,
    pub duration_ms: i64,
    pub status: Option<i64>,
    pub error: Option<String>,
    pub request_headers: String,
    pub response_body: String,
}

/// The administrators' storage page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageOverview {
    /// Sorted by namespace (else largest first).
    pub by_name: bool,
    /// "4.2 GB in 1,024 blobs."
    pub total: String,
    pub rows: Vec<StorageRow>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageRow {
    pub namespace: String,
    pub stored: String,
    pub limit: String,
    /// The limit in GB for the form ("" for none).
    pub limit_gb: String,
    pub over: bool,
}

/// A repository's Builds page: its linked git repository, build rules and build history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildsView {
    pub full_name: String,
    pub source: Option<BuildSourceItem>,
    pub rules: Vec<BuildRuleItem>,
    pub builds: Vec<BuildItem>,
    /// Whether this server runs builds itself (else only `berth worker` machines do).
    pub engine_here: bool,
    /// (value, label) of the mail settings.
    pub notify_choices: Vec<(String, String)>,
    /// The status the history is filtered by.
    pub status: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildSourceItem {
    pub git_url: String,
    pub has_token: bool,
    pub trigger_url: String,
    pub has_hook_secret: bool,
    pub notify: String,
    pub readme: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildRuleItem {
    pub id: i64,
    pub source_type: String,
    pub source: String,
    pub is_regex: bool,
    pub docker_tag: String,
    pub dockerfile: String,
    pub context: String,
    pub build_args: String,
    pub enabled: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildItem {
    pub id: i64,
    pub status: String,
    pub finished: bool,
    pub source_ref: String,
    pub docker_tag: String,
    pub commit: Option<String>,
    pub commit_message: Option<String>,
    /// "Build now by alice" or "Pushed to the git repository".
    pub cause: String,
    pub created: String,
    pub created_ago: String,
    /// "1 min 4 s", once started.
    pub duration: Option<String>,
    pub error: Option<String>,
    pub digest: Option<String>,
    pub dockerfile: String,
    pub context: String,
}

/// One build's page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildView {
    pub full_name: String,
    pub build: BuildItem,
    pub log: String,
    /// Characters of the log shown: where a follower asks from.
    pub log_len: i64,
}

/// New log text of a running build.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogChunk {
    pub text: String,
    pub next: i64,
    /// The build as it is now: the page updates its facts in place.
    pub build: BuildItem,
}

/// Where a log-in may return to: a path on this site (`/…`), never another origin (`//host`,
/// `/\host`, a scheme) or anything with control characters; at most 2,000 characters. The one
/// rule for `next=`, asked by the log-in forms and by the links that send people to them.
pub fn return_path(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.len() <= 2000
        && !next.chars().any(|c| c.is_control() || c == '\\')
        && !next.starts_with("/login")
        && !next.starts_with("/api/");
    ok.then_some(next)
}

/// `/login`, returning to `here` (a path with its query) afterwards when it may.
pub fn login_href(here: &str) -> String {
    match return_path(here) {
        Some(p) if p != "/" => {
            let encoded: String = p
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("/login?next={encoded}")
        }
        _ => "/login".to_string(),
    }
}

#[cfg(test)]
mod return_tests {
    use super::{login_href, return_path};

    #[test]
    fn only_paths_of_this_site_are_returned_to() {
        for bad in [
            "https://evil.example/",
            "//evil.example/x",
            "/\\evil.example",
            "javascript:alert(1)",
            "evil",
            "/x\r\nSet-Cookie: a=b",
            "/login?next=/x",
            "",
        ] {
            assert_eq!(return_path(bad), None, "{bad:?}");
        }
        assert_eq!(return_path("/r/a/b?tab=tags"), Some("/r/a/b?tab=tags"));
        assert_eq!(
            login_href("/invitations/abc?x=1&y=2"),
            "/login?next=/invitations/abc%3Fx%3D1%26y%3D2"
        );
        assert_eq!(login_href("/"), "/login");
        assert_eq!(login_href("//evil"), "/login");
    }
}

//! One module per page or group of closely related pages.

mod account;
mod admin;
mod builds;
mod confirm;
mod discover;
mod home;
mod lifecycle;
mod orgs;
mod password;
mod profile;
mod repositories;
mod repository;
mod security;
mod settings;
mod tag;
mod webhooks;

pub use account::{LoginPage, SignupPage, WelcomePage};
pub use admin::{PlansPage, StoragePage};
pub use builds::{BuildPage, BuildsPage};
pub use confirm::{ConfirmFailedPage, ResendConfirmation};
pub use discover::{ExplorePage, SearchPage};
pub use home::HomePage;
pub use lifecycle::TagRulesSection;
pub use orgs::{InvitationPage, NewOrgPage, OrgProfile, OrgsPanel};
pub use password::{ForgotPasswordPage, ResetPasswordPage};
pub use profile::{load_failed, NotFoundPage, ProfilePage};
pub use repositories::{NewRepositoryPage, RepoList};
pub use repository::RepositoryPage;
pub use security::{LoginCodePage, SecurityPage};
pub use settings::AccountSettingsPage;
pub use tag::TagPage;
pub use webhooks::{WebhookPage, WebhooksSection};

//! Organizations: creating one, its page at `/u/ORG` (repositories, members, teams, settings),
//! and the page an invitation's link opens. Every form is a plain POST that works without
//! JavaScript.

use leptos::prelude::*;

use crate::components::Confirm;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::{
        get_invitation, AddTeamMember, AnswerInvitation, CreateOrg, CreateTeam, DeleteOrg,
        DeleteTeam, InviteMember, RemoveMember, RemoveTeamMember, RevokeInvitation,
        SaveOrgSettings, SetMemberRole,
    },
    components::{
        action_error, count, field_error, field_value, Auth, Field, FormError, LoginLink, Notice,
        SavedNotice, SubmitButton,
    },
    model::{DashboardOrgs, OrgView},
    pages::{load_failed, RepoList, ResendConfirmation},
};

const ROLES: [(&str, &str); 3] = [
    (
        "member",
        "Member — sees the organization, pulls what their teams may",
    ),
    (
        "editor",
        "Editor — also creates, changes and deletes repositories",
    ),
    (
        "owner",
        "Owner — everything, including members, teams and settings",
    ),
];

/// `/organizations/new`.
#[component]
pub fn NewOrgPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    view! {
        <Title text="Create organization"/>
        <section class="auth-card">
            <h1>"Create organization"</h1>
            <p class="muted">"An organization is a shared namespace: " <code>"NAME/REPOSITORY"</code> ". You become its owner and invite the others."</p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match auth.user.await {
                        Ok(Some(u)) if !u.confirmed => view! {
                            <div class="alert alert-warning" role="status">
                                "Confirm your email address before creating organizations. We sent a link to "
                                {u.email_masked.clone()} "."
                            </div>
                            <ResendConfirmation/>
                        }
                        .into_any(),
                        Ok(Some(u)) => view! { <CreateOrgForm email=u.email.clone()/> }.into_any(),
                        _ => view! {
                            <p>"Log in to create an organization."</p>
                            <LoginLink/>
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn CreateOrgForm(email: String) -> impl IntoView {
    let create = ServerAction::<CreateOrg>::new();
    let err = action_error(create);
    let email_value =
        Signal::derive(move || field_value(err, "email").get().or(Some(email.clone())));
    view! {
        <ActionForm action=create attr:novalidate=true attr:class="form">
            <FormError error=err/>
            <Field
                label="Organization name"
                name="name"
                hint="4 to 30 lowercase letters and digits, as for a Berth ID (the two share one name space). It cannot be changed later."
                required=true
                error=field_error(err, "name")
                value=field_value(err, "name")
            />
            <Field
                label="Display name"
                name="display_name"
                hint="Optional, at most 100 characters: the name people read, like “Acme Corporation”."
                error=field_error(err, "display_name")
                value=field_value(err, "display_name")
            />
            <Field
                label="Email for notices"
                name="email"
                kind="email"
                required=true
                error=field_error(err, "email")
                value=email_value
            />
            <SubmitButton action=create label="Create organization" busy="Creating…"/>
        </ActionForm>
    }
}

/// The organization's page, inside `/u/ORG`.
#[component]
pub fn OrgProfile(org: OrgView) -> impl IntoView {
    let query = use_query_map();
    let created = move || query.with(|q| q.get("created").is_some());
    let joined = move || query.with(|q| q.get("joined").is_some());
    let name = org.name.clone();
    let title = if org.display_name.is_empty() {
        org.name.clone()
    } else {
        org.display_name.clone()
    };
    let tab = org.tab.clone();
    let tab_link = move |key: &'static str, label: String| {
        let active = tab == key;
        let href = if key == "repositories" {
            format!("/u/{name}")
        } else {
            format!("/u/{name}?tab={key}")
        };
        view! {
            <a class="tab" class:active=active aria-current=active.then_some("page") href=href>{label}</a>
        }
    };
    let body = match org.tab.as_str() {
        "members" => view! { <MembersTab org=org.clone()/> }.into_any(),
        "teams" => view! { <TeamsTab org=org.clone()/> }.into_any(),
        "settings" => view! { <OrgSettingsTab org=org.clone()/> }.into_any(),
        _ => view! { <OrgRepositories org=org.clone()/> }.into_any(),
    };
    view! {
        <Title text=title.clone()/>
        {move || created().then(|| view! { <Notice text="Organization created. Invite members from the Members tab."/> })}
        {move || joined().then(|| view! { <Notice text="Welcome: you are now a member."/> })}
        <section class="profile">
            <div class="profile-head">
                <span class="avatar avatar-large avatar-org" aria-hidden="true">
                    {org.name.chars().next().map(|c| c.to_ascii_uppercase()).unwrap_or('?')}
                </span>
                <div>
                    <h1>{title.clone()}</h1>
                    <p class="muted">
                        <span class="badge">"Organization"</span> " " {org.name.clone()}
                        {org.role.clone().map(|r| view! { " · you are " {article(&r)} " " <strong>{r.clone()}</strong> })}
                    </p>
                </div>
            </div>
            <nav class="tabs" aria-label="Organization">
                {tab_link("repositories", format!("Repositories ({})", org.repositories.len()))}
                {org.can_see_members.then(|| tab_link("members", "Members".into()))}
                {org.can_see_members.then(|| tab_link("teams", "Teams".into()))}
                {org.is_owner.then(|| tab_link("settings", "Settings".into()))}
            </nav>
            <div class="settings org-tab">{body}</div>
        </section>
    }
}

fn article(role: &str) -> &'static str {
    if role.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

#[component]
fn OrgRepositories(org: OrgView) -> impl IntoView {
    let new_href = format!("/repositories/new?namespace={}", org.name);
    view! {
        <section class="panel">
            <div class="panel-head">
                <h2>"Repositories"</h2>
                {org.can_create.then(|| view! { <a class="button button-primary" href=new_href.clone()>"Create repository"</a> })}
            </div>
            {if org.repositories.is_empty() {
                view! {
                    <div class="empty-state">
                        <p class="empty-title">"No repositories to show"</p>
                        {org.can_create.then(|| view! { <p>"Create one, or push an image to " <code>{format!("{}/{}/NAME", crate::components::registry_host(), org.name)}</code> "."</p> })}
                    </div>
                }
                .into_any()
            } else {
                view! { <RepoList repos=org.repositories.clone()/> }.into_any()
            }}
        </section>
    }
}

#[component]
fn MembersTab(org: OrgView) -> impl IntoView {
    let org_name = StoredValue::new(org.name.clone());
    let invite = ServerAction::<InviteMember>::new();
    let invite_err = action_error(invite);
    let role = ServerAction::<SetMemberRole>::new();
    let role_err = action_error(role);
    let remove = ServerAction::<RemoveMember>::new();
    let remove_err = action_error(remove);
    let revoke = ServerAction::<RevokeInvitation>::new();
    let revoke_err = action_error(revoke);
    let is_owner = org.is_owner;
    let me = expect_context::<Auth>();
    // The last owner is not offered what the last-owner rule would refuse.
    let owners: Vec<String> = org
        .members
        .iter()
        .filter(|m| m.role == "owner")
        .map(|m| m.username.clone())
        .collect();
    let sole_owner = StoredValue::new((owners.len() == 1).then(|| owners[0].clone()));
    let members = org
        .members
        .clone()
        .into_iter()
        .map(|m| {
            let name = m.username.clone();
            let current = m.role.clone();
            view! {
                <li class="member">
                    <span class="member-name"><a href=format!("/u/{name}")>{name.clone()}</a></span>
                    <span class="badge">{m.role.clone()}</span>
                    <span class="muted member-joined">"joined " {m.joined.clone()}</span>
                    {(is_owner && sole_owner.get_value().as_deref() == Some(name.as_str())).then(|| view! {
                        <span class="muted member-actions">"the only owner"</span>
                    })}
                    {(is_owner && sole_owner.get_value().as_deref() != Some(name.as_str())).then(|| {
                        let current = current.clone();
                        let name = StoredValue::new(name.clone());
                        let role_id = format!("role-{}", name.get_value());
                        let role_label = format!("Role of {}", name.get_value());
                        let remove_label = format!("Remove {}", name.get_value());
                        view! {
                            <div class="member-actions">
                            <ActionForm action=role attr:class="form-inline member-role">
                                <input type="hidden" name="org" value=org_name.get_value()/>
                                <input type="hidden" name="member" value=name.get_value()/>
                                <label class="visually-hidden" for=role_id.clone()>{role_label.clone()}</label>
                                <select id=role_id.clone() name="role">
                                    {ROLES.iter().map(|(v, _)| view! { <option value=*v selected=current == *v>{*v}</option> }).collect_view()}
                                </select>
                                <button type="submit" class="button button-small">"Change role"</button>
                            </ActionForm>
                            <Confirm key=format!("remove-member-{}", name.get_value()) label="Remove" aria=remove_label.clone()
                                question=format!("Remove {} from {}? Their access to its repositories ends at once.", name.get_value(), org_name.get_value())>
                                <ActionForm action=remove>
                                    <input type="hidden" name="org" value=org_name.get_value()/>
                                    <input type="hidden" name="member" value=name.get_value()/>
                                    <button type="submit" class="button button-small button-danger">{format!("Remove {}", name.get_value())}</button>
                                </ActionForm>
                            </Confirm>
                            </div>
                        }
                    })}
                </li>
            }
        })
        .collect_view();
    let invitations = org
        .invitations
        .clone()
        .into_iter()
        .map(|i| {
            view! {
                <li class="member">
                    <span class="member-name">{i.who.clone()}</span>
                    <span class="badge">{i.role.clone()}</span>
                    <span class="muted member-joined">"invited by " {i.invited_by.clone()} ", expires " {i.expires.clone()}</span>
                    <ActionForm action=revoke>
                        <input type="hidden" name="org" value=org_name.get_value()/>
                        <input type="hidden" name="id" value=i.id.to_string()/>
                        <button type="submit" class="button button-small" aria-label=format!("Revoke the invitation of {}", i.who)>"Revoke"</button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    let has_invitations = !org.invitations.is_empty();
    view! {
        <section class="panel">
            <h2>"Members"</h2>
            <SavedNotice key="role" text="Role changed."/>
            <SavedNotice key="removed" text="Member removed: their access ended at once."/>
            <FormError error=role_err/>
            <FormError error=remove_err/>
            <ul class="member-list">{members}</ul>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let org_name = org_name.get_value();
                    me.user.await.ok().flatten().map(|u| {
                        if sole_owner.get_value().as_deref() == Some(u.username.as_str()) {
                            view! {
                                <p class="muted leave">"You are the only owner: make another member an owner before you leave (or delete the organization)."</p>
                            }
                            .into_any()
                        } else {
                            view! {
                                <ActionForm action=remove attr:class="form-inline leave">
                                    <input type="hidden" name="org" value=org_name/>
                                    <input type="hidden" name="member" value=u.username.clone()/>
                                    <button type="submit" class="button button-small button-danger-quiet">"Leave organization"</button>
                                </ActionForm>
                            }
                            .into_any()
                        }
                    })
                })}
            </Suspense>
        </section>
        {is_owner.then(|| view! {
            <section class="panel">
                <h2>"Invite a member"</h2>
                <SavedNotice key="invite" text="Invitation sent: the link in the mail works once, for 7 days."/>
                <ActionForm action=invite attr:class="form" attr:novalidate=true>
                    <FormError error=invite_err/>
                    <input type="hidden" name="org" value=org_name.get_value()/>
                    <Field
                        label="Berth ID or email address"
                        name="who"
                        required=true
                        error=field_error(invite_err, "who")
                        value=field_value(invite_err, "who")
                    />
                    <fieldset class="field visibility">
                        <legend>"Role"</legend>
                        {ROLES.iter().map(|(v, label)| view! {
                            <label class="choice">
                                <input type="radio" name="role" value=*v checked=*v == "member"/>
                                <span>{*label}</span>
                            </label>
                        }).collect_view()}
                    </fieldset>
                    <button type="submit" class="button button-primary">"Send invitation"</button>
                </ActionForm>
                <h3>"Pending invitations"</h3>
                <SavedNotice key="revoked" text="Invitation revoked: its link no longer works."/>
                <FormError error=revoke_err/>
                {if has_invitations {
                    view! { <ul class="member-list">{invitations}</ul> }.into_any()
                } else {
                    view! { <p class="muted">"None."</p> }.into_any()
                }}
            </section>
        })}
    }
}

#[component]
fn TeamsTab(org: OrgView) -> impl IntoView {
    let org_name = org.name.clone();
    let create = ServerAction::<CreateTeam>::new();
    let create_err = action_error(create);
    let teams = org
        .teams
        .clone()
        .into_iter()
        .map(|t| {
            let href = format!("/u/{}?tab=teams&team={}", org_name, t.name);
            view! {
                <li class="repo-item">
                    <div class="repo-item-head">
                        <a class="repo-name" href=href>{t.name.clone()}</a>
                        <span class="muted">{count(t.members, "member", "members")} " · " {count(t.repositories, "repository", "repositories")}</span>
                    </div>
                    {(!t.description.is_empty()).then(|| view! { <p class="repo-desc">{t.description.clone()}</p> })}
                </li>
            }
        })
        .collect_view();
    let has_teams = !org.teams.is_empty();
    view! {
        {org.team.clone().map(|team| view! { <TeamDetail org=org.clone() team/> })}
        <section class="panel">
            <h2>"Teams"</h2>
            <SavedNotice key="team-deleted" text="Team deleted."/>
            <p class="muted">"A team gets read, read & write or admin permission on repositories (from each repository's settings); a member may do what their role and all their teams allow."</p>
            {if has_teams {
                view! { <ul class="repo-list">{teams}</ul> }.into_any()
            } else {
                view! { <p class="muted">"No teams yet."</p> }.into_any()
            }}
        </section>
        {org.is_owner.then(|| view! {
            <section class="panel">
                <h2>"Create a team"</h2>
                <ActionForm action=create attr:class="form" attr:novalidate=true>
                    <FormError error=create_err/>
                    <input type="hidden" name="org" value=org.name.clone()/>
                    <Field label="Team name" name="name" hint="2 to 30 lowercase letters and digits, with - _ or . between them." required=true error=field_error(create_err, "name") value=field_value(create_err, "name")/>
                    <Field label="Description" name="description" hint="Optional, at most 100 characters." error=field_error(create_err, "description") value=field_value(create_err, "description")/>
                    <button type="submit" class="button button-primary">"Create team"</button>
                </ActionForm>
            </section>
        })}
    }
}

#[component]
fn TeamDetail(org: OrgView, team: crate::model::TeamDetailView) -> impl IntoView {
    let org_name = StoredValue::new(org.name.clone());
    let team_name = StoredValue::new(team.name.clone());
    let add = ServerAction::<AddTeamMember>::new();
    let add_err = action_error(add);
    let remove = ServerAction::<RemoveTeamMember>::new();
    let remove_err = action_error(remove);
    let delete = ServerAction::<DeleteTeam>::new();
    let delete_err = action_error(delete);
    let is_owner = org.is_owner;
    let members = team
        .members
        .iter()
        .map(|m| {
            let m = m.clone();
            view! {
                <li>
                    <a href=format!("/u/{m}")>{m.clone()}</a>
                    {is_owner.then(|| {
                        let m = m.clone();
                        let who = StoredValue::new(m.clone());
                        view! {
                            <Confirm key=format!("remove-from-team-{m}") label="Remove" aria=format!("Remove {m} from the team")
                                question=format!("Take {m} out of the team {}? They lose what the team gives at once.", team_name.get_value())>
                                <ActionForm action=remove>
                                    <input type="hidden" name="org" value=org_name.get_value()/>
                                    <input type="hidden" name="team" value=team_name.get_value()/>
                                    <input type="hidden" name="username" value=who.get_value()/>
                                    <button type="submit" class="button button-small button-danger">{format!("Remove {} from the team", who.get_value())}</button>
                                </ActionForm>
                            </Confirm>
                        }
                    })}
                </li>
            }
        })
        .collect_view();
    let repos = team
        .repositories
        .iter()
        .cloned()
        .map(|(r, label)| {
            view! {
                <li>
                    <a href=format!("/r/{}/{r}", org_name.get_value())>{format!("{}/{r}", org_name.get_value())}</a>
                    <span class="badge">{label}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="panel">
            <h2>"Team " {team.name.clone()}</h2>
            <SavedNotice key="members" text="Team members saved."/>
            {(!team.description.is_empty()).then(|| view! { <p>{team.description.clone()}</p> })}
            <h3>"Members"</h3>
            <FormError error=remove_err/>
            {if team.members.is_empty() {
                view! { <p class="muted">"No members yet."</p> }.into_any()
            } else {
                view! { <ul class="collaborators">{members}</ul> }.into_any()
            }}
            {is_owner.then(|| view! {
                <ActionForm action=add attr:class="form form-inline" attr:novalidate=true>
                    <FormError error=add_err/>
                    <input type="hidden" name="org" value=org_name.get_value()/>
                    <input type="hidden" name="team" value=team_name.get_value()/>
                    <Field label="Berth ID of a member" name="username" required=true error=field_error(add_err, "username") value=field_value(add_err, "username")/>
                    <button type="submit" class="button">"Add to team"</button>
                </ActionForm>
            })}
            <h3>"Repositories"</h3>
            {if team.repositories.is_empty() {
                view! { <p class="muted">"No permissions yet: grant them from a repository's Settings tab."</p> }.into_any()
            } else {
                view! { <ul class="collaborators">{repos}</ul> }.into_any()
            }}
            {is_owner.then(|| view! {
                <Confirm key="delete-team" label="Delete team"
                    question=format!("Delete the team {}? Its members lose what it gives at once; they stay in the organization.", team_name.get_value())>
                    <ActionForm action=delete attr:class="form-inline">
                        <FormError error=delete_err/>
                        <input type="hidden" name="org" value=org_name.get_value()/>
                        <input type="hidden" name="team" value=team_name.get_value()/>
                        <button type="submit" class="button button-small button-danger">"Delete the team"</button>
                    </ActionForm>
                </Confirm>
            })}
        </section>
    }
}

#[component]
fn OrgSettingsTab(org: OrgView) -> impl IntoView {
    let save = ServerAction::<SaveOrgSettings>::new();
    let save_err = action_error(save);
    let delete = ServerAction::<DeleteOrg>::new();
    let delete_err = action_error(delete);
    let display = org.display_name.clone();
    let email = org.email.clone();
    let org_name = StoredValue::new(org.name.clone());
    view! {
        <section class="panel">
            <h2>"Profile"</h2>
            <SavedNotice key="settings" text="Settings saved."/>
            <ActionForm action=save attr:class="form" attr:novalidate=true>
                <FormError error=save_err/>
                <input type="hidden" name="org" value=org_name.get_value()/>
                <Field label="Display name" name="display_name" error=field_error(save_err, "display_name")
                    value=Signal::derive(move || field_value(save_err, "display_name").get().or(Some(display.clone())))/>
                <Field label="Email for notices" name="email" kind="email" required=true error=field_error(save_err, "email")
                    value=Signal::derive(move || field_value(save_err, "email").get().or(Some(email.clone())))/>
                <button type="submit" class="button button-primary">"Save"</button>
            </ActionForm>
        </section>
        <section class="panel">
            <h2>"Plan"</h2>
            {org.private_usage.clone().map(|u| view! { <p>{u}</p> })}
            {org.storage_usage.clone().map(|u| view! { <p class="storage-usage">{u}</p> })}
            <p class="muted">"Private repositories of the organization count against its plan; an administrator sets it on the Plans page."</p>
        </section>
        <section class="panel danger-zone">
            <h2>"Delete organization"</h2>
            <p>"Deleting " <strong>{org.name.clone()}</strong> " removes its repositories, images, teams and invitations for good. Type " <code>{org.name.clone()}</code> " to confirm."</p>
            <ActionForm action=delete attr:class="form" attr:novalidate=true>
                <FormError error=delete_err/>
                <input type="hidden" name="org" value=org_name.get_value()/>
                <Field label="Organization name" name="confirm" required=true error=field_error(delete_err, "confirm")/>
                <button type="submit" class="button button-danger">"Delete organization"</button>
            </ActionForm>
        </section>
    }
}

/// The dashboard's panel: organizations, and invitations waiting for an answer.
#[component]
pub fn OrgsPanel(data: DashboardOrgs, confirmed: bool) -> impl IntoView {
    let answer = ServerAction::<AnswerInvitation>::new();
    let answer_err = action_error(answer);
    let invitations = data
        .invitations
        .iter()
        .cloned()
        .map(|i| {
            view! {
                <li class="invitation">
                    <p><strong>{i.invited_by.clone()}</strong> " invited you to join " <strong>{i.org.clone()}</strong> " as " {i.role.clone()} "."</p>
                    <div class="form-actions">
                        <ActionForm action=answer>
                            <input type="hidden" name="id" value=i.id.to_string()/>
                            <input type="hidden" name="answer" value="accept"/>
                            <button type="submit" class="button button-small button-primary">"Accept"</button>
                        </ActionForm>
                        <ActionForm action=answer>
                            <input type="hidden" name="id" value=i.id.to_string()/>
                            <input type="hidden" name="answer" value="decline"/>
                            <button type="submit" class="button button-small">"Decline"</button>
                        </ActionForm>
                    </div>
                </li>
            }
        })
        .collect_view();
    let orgs = data
        .orgs
        .iter()
        .cloned()
        .map(|(name, display, role)| {
            view! {
                <li>
                    <a href=format!("/u/{name}")>{if display.is_empty() { name.clone() } else { display }}</a>
                    <span class="badge">{role}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <aside class="panel" aria-label="Organizations">
            <div class="panel-head">
                <h2>"Organizations"</h2>
                {confirmed.then(|| view! { <a class="button button-small" href="/organizations/new">"Create"</a> })}
            </div>
            {(!data.invitations.is_empty()).then(|| view! {
                <FormError error=answer_err/>
                <ul class="invitations">{invitations}</ul>
            })}
            {if data.orgs.is_empty() {
                view! { <p class="muted">"You are in no organization yet."</p> }.into_any()
            } else {
                view! { <ul class="collaborators">{orgs}</ul> }.into_any()
            }}
        </aside>
    }
}

/// `/invitations/TOKEN`: what the invitation is, and Accept / Decline for the logged-in user.
#[component]
pub fn InvitationPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let invitation = Resource::new(token, get_invitation);
    let answer = ServerAction::<AnswerInvitation>::new();
    let answer_err = action_error(answer);
    view! {
        <Title text="Invitation"/>
        <section class="auth-card">
            <h1>"Invitation"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match invitation.await {
                        Ok(i) => {
                            let token = token();
                            let token2 = token.clone();
                            view! {
                                <p><strong>{i.invited_by.clone()}</strong> " invited you to join the organization "
                                    <a href=format!("/u/{}", i.org)>{i.org.clone()}</a> " as " <strong>{i.role.clone()}</strong> "."</p>
                                <p class="muted">"The invitation expires " {i.expires.clone()} "."</p>
                                {match i.viewer.clone() {
                                    Some(me) => view! {
                                        <p>"You are logged in as " <strong>{me}</strong> "."</p>
                                        <FormError error=answer_err/>
                                        <div class="form-actions">
                                            <ActionForm action=answer>
                                                <input type="hidden" name="token" value=token/>
                                                <input type="hidden" name="answer" value="accept"/>
                                                <button type="submit" class="button button-primary">"Accept"</button>
                                            </ActionForm>
                                            <ActionForm action=answer>
                                                <input type="hidden" name="token" value=token2/>
                                                <input type="hidden" name="answer" value="decline"/>
                                                <button type="submit" class="button">"Decline"</button>
                                            </ActionForm>
                                        </div>
                                    }
                                    .into_any(),
                                    None => view! {
                                        <p>"Log in to answer: you come back to this invitation afterwards. New to Berth? Sign up first, then open the link from the email again."</p>
                                        <div class="form-actions">
                                            <LoginLink/>
                                            <a class="button" href="/signup">"Sign up"</a>
                                        </div>
                                    }
                                    .into_any(),
                                }}
                            }
                            .into_any()
                        }
                        Err(crate::error::AppError::Form { message, .. }) => view! {
                            <div class="alert alert-error" role="alert">{message.unwrap_or_default()}</div>
                        }
                        .into_any(),
                        Err(e) => load_failed(e),
                    }
                })}
            </Suspense>
        </section>
    }
}

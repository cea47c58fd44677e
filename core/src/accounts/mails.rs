//! The texts of Berth's account mails, plain and HTML.

pub struct Composed {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Composed {
    /// The mail to queue for `address`.
    pub fn to(self, address: &str) -> crate::mail::Mail {
        crate::mail::Mail {
            to: address.to_string(),
            subject: self.subject,
            text: self.text,
            html: self.html,
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn html_mail(
    title: &str,
    greeting: &str,
    lead: &str,
    button: &str,
    link: &str,
    note: &str,
) -> String {
    let (title, greeting, lead, button, link, note) = (
        escape(title),
        escape(greeting),
        escape(lead),
        escape(button),
        escape(link),
        escape(note),
    );
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f4f6fa;margin:0;padding:24px;color:#1d2433">
<table role="presentation" width="100%" style="max-width:560px;margin:0 auto;background:#fff;border-radius:8px;padding:32px">
<tr><td>
<p style="font-size:20px;font-weight:600;margin:0 0 16px">&#9875; Berth</p>
<p>{greeting}</p>
<p>{lead}</p>
<p style="margin:28px 0"><a href="{link}" style="background:#1a56db;color:#fff;text-decoration:none;padding:12px 20px;border-radius:6px;font-weight:600">{button}</a></p>
<p style="font-size:14px;color:#555">{note}</p>
<p style="font-size:13px;color:#777;word-break:break-all">If the button does not work, copy this address into your browser:<br>{link}</p>
</td></tr></table></body></html>"#
    )
}

pub fn confirmation(username: &str, link: &str) -> Composed {
    let subject = "Please confirm email for your Berth ID".to_string();
    let greeting = format!("Hi {username},");
    let lead = "Thanks for signing up for Berth. Confirm your email address to start creating repositories and pushing images.";
    let note = "The link works once and expires in 24 hours. If you did not sign up for Berth, ignore this email.";
    let text =
        format!("{greeting}\n\n{lead}\n\nConfirm your email:\n{link}\n\n{note}\n\n-- Berth\n");
    let html = html_mail(&subject, &greeting, lead, "Confirm your email", link, note);
    Composed {
        subject,
        text,
        html,
    }
}

/// To the owner of an address someone tried to sign up with again (the sign-up form answers as
/// for a new address, so it tells nobody which addresses have accounts).
pub fn signup_attempt(username: &str, link: &str) -> Composed {
    let subject = "Someone tried to sign up for Berth with your address".to_string();
    let greeting = format!("Hi {username},");
    let lead = "Someone (perhaps you) tried to create a Berth account with this email address. It already belongs to your account, so no new account was made. If it was you, log in, or reset your password if you forgot it.";
    let note = "If it was not you, you need not do anything: your account is unchanged.";
    let text = format!("{greeting}\n\n{lead}\n\nLog in:\n{link}\n\n{note}\n\n-- Berth\n");
    let html = html_mail(&subject, &greeting, lead, "Log in", link, note);
    Composed {
        subject,
        text,
        html,
    }
}

pub fn password_reset(username: &str, link: &str) -> Composed {
    let subject = "Reset the password of your Berth ID".to_string();
    let greeting = format!("Hi {username},");
    let lead = "Someone asked to reset the password of your Berth account. Choose a new password with the link below; you will be logged out everywhere.";
    let note = "The link works once and expires in 1 hour. If you did not ask for this, ignore this email: your password stays as it is.";
    let text =
        format!("{greeting}\n\n{lead}\n\nReset your password:\n{link}\n\n{note}\n\n-- Berth\n");
    let html = html_mail(&subject, &greeting, lead, "Reset your password", link, note);
    Composed {
        subject,
        text,
        html,
    }
}

pub fn email_change(username: &str, new_email: &str, link: &str) -> Composed {
    let subject = "Confirm the new email address of your Berth ID".to_string();
    let greeting = format!("Hi {username},");
    let lead = format!(
        "You asked to use {new_email} for your Berth account. Confirm it with the link below; until then your old address stays."
    );
    let note = "The link works once and expires in 24 hours. If you did not ask for this, ignore this email.";
    let text = format!(
        "{greeting}\n\n{lead}\n\nConfirm your new address:\n{link}\n\n{note}\n\n-- Berth\n"
    );
    let html = html_mail(
        &subject,
        &greeting,
        &lead,
        "Confirm your new address",
        link,
        note,
    );
    Composed {
        subject,
        text,
        html,
    }
}

/// An invitation to join an organization; `username` when the invitee has an account.
pub fn invitation(
    username: Option<&str>,
    inviter: &str,
    org: &str,
    role: &str,
    link: &str,
) -> Composed {
    let subject = format!("{inviter} invited you to join {org} on Berth");
    let greeting = match username {
        Some(name) => format!("Hi {name},"),
        None => "Hello,".to_string(),
    };
    let lead = format!(
        "{inviter} invited you to join the organization {org} on Berth as {role}. Open the link to accept or decline; you will need to log in, or sign up if you have no Berth ID yet."
    );
    let note = "The link works once and expires in 7 days. If you do not know this organization, ignore this email.";
    let text =
        format!("{greeting}\n\n{lead}\n\nAnswer the invitation:\n{link}\n\n{note}\n\n-- Berth\n");
    let html = html_mail(&subject, &greeting, &lead, "See the invitation", link, note);
    Composed {
        subject,
        text,
        html,
    }
}

/// Sent to the old address when someone asks to change it: a warning, with no link to follow.
pub fn email_change_notice(username: &str, new_email: &str) -> Composed {
    let subject = "Your Berth email address is about to change".to_string();
    let greeting = format!("Hi {username},");
    let lead = format!(
        "Someone logged in to your Berth account asked to change its email address to {new_email}. It changes only once the link sent there is opened."
    );
    let note = "If this was not you, log in, change your password, and check the activity log on the Security page.";
    let text = format!("{greeting}\n\n{lead}\n\n{note}\n\n-- Berth\n");
    let html = html_notice(&subject, &greeting, &lead, note);
    Composed {
        subject,
        text,
        html,
    }
}

fn html_notice(title: &str, greeting: &str, lead: &str, note: &str) -> String {
    let (title, greeting, lead, note) =
        (escape(title), escape(greeting), escape(lead), escape(note));
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f4f6fa;margin:0;padding:24px;color:#1d2433">
<table role="presentation" width="100%" style="max-width:560px;margin:0 auto;background:#fff;border-radius:8px;padding:32px">
<tr><td>
<p style="font-size:20px;font-weight:600;margin:0 0 16px">&#9875; Berth</p>
<p>{greeting}</p>
<p>{lead}</p>
<p style="font-size:14px;color:#555">{note}</p>
</td></tr></table></body></html>"#
    )
}

/// An automated build finished (failed, or any result when the owner asked for every build).
pub fn build_result(
    username: &str,
    full_name: &str,
    tag: &str,
    status: &str,
    commit: &str,
    error: Option<&str>,
    link: &str,
) -> Composed {
    // A build that failed before its clone has no commit to name.
    let at = match &commit[..commit.len().min(12)] {
        "" => String::new(),
        short => format!(" (commit {short})"),
    };
    let subject = format!("Build {status}: {full_name}:{tag}");
    let greeting = format!("Hi {username},");
    let lead = match error {
        Some(e) => format!("The automated build of {full_name}:{tag}{at} failed: {e}"),
        None => format!("The automated build of {full_name}:{tag}{at} {status}."),
    };
    let note = "You get these mails as set on the repository's Builds page (failures only, every build, or never).";
    let text =
        format!("{greeting}\n\n{lead}\n\nThe build and its log:\n{link}\n\n{note}\n\n-- Berth\n");
    let html = html_mail(&subject, &greeting, &lead, "See the build log", link, note);
    Composed {
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirmation_mail_holds_the_link_in_both_parts() {
        let m = confirmation("alice", "http://h/confirm-email?token=abc&x=1");
        assert_eq!(m.subject, "Please confirm email for your Berth ID");
        assert!(m.text.contains("http://h/confirm-email?token=abc&x=1"));
        assert!(m.html.contains("Confirm your email"));
        assert!(m
            .html
            .contains("href=\"http://h/confirm-email?token=abc&amp;x=1\""));
    }

    #[test]
    fn html_is_escaped() {
        let m = password_reset("<b>", "http://h/\"><script>");
        assert!(!m.html.contains("<script>"));
        assert!(m.html.contains("&lt;b&gt;"));
    }

    #[test]
    fn a_build_that_failed_before_its_clone_names_no_commit() {
        let m = build_result(
            "a",
            "a/app",
            "latest",
            "failed",
            "",
            Some("clone failed"),
            "http://x",
        );
        assert!(
            m.text.contains("a/app:latest failed: clone failed"),
            "{}",
            m.text
        );
        assert!(!m.text.contains("(commit"));
        let m = build_result(
            "a",
            "a/app",
            "latest",
            "succeeded",
            "0123456789abcdef",
            None,
            "http://x",
        );
        assert!(
            m.text.contains("(commit 0123456789ab) succeeded"),
            "{}",
            m.text
        );
    }
}

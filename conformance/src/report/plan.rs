//! `--plan`: for each case on the chosen target, run or ignored (with the reason), the users
//! and products it takes, the messages it sends and the waits it makes — printed before
//! anything is sent.

use std::fmt::Write as _;
use std::time::Duration;

use vlens_openapi::MessageChannel;

use crate::plan::{Plan, StatusPath, UserSource, Verdict};
use crate::suite::LoadedCase;
use crate::target::Target;

/// The plan of every case, as text.
pub fn render(target: &Target, plans: &[(&LoadedCase, Plan)]) -> String {
    let mut out = String::new();
    let runs = plans.iter().filter(|(_, plan)| plan.runs()).count();
    let _ = writeln!(
        out,
        "plan for `{}` ({}, from {}): {runs} of {} cases run, {} ignored\n",
        target.name,
        target.base_url,
        target.described_by,
        plans.len(),
        plans.len() - runs
    );
    let mut waits = Vec::new();
    let (mut sms, mut emails, mut at_run_time, mut registered) = (0, 0, 0, 0);
    for (loaded, plan) in plans {
        if let Some(reason) = plan.reason() {
            let _ = writeln!(out, "ignored  {}\n           {reason}", loaded.trial);
            continue;
        }
        let _ = writeln!(out, "run      {}", loaded.trial);
        let users: Vec<String> = plan
            .users
            .iter()
            .map(|user| {
                let source = match &user.source {
                    UserSource::ControlApi => "made by the control API".to_owned(),
                    UserSource::Pool(wanted) => format!("pool ({:?} tenant)", wanted.tenant),
                    UserSource::Registered { verified } => {
                        registered += 1;
                        if *verified {
                            "registered and verified through the API".to_owned()
                        } else {
                            "registered through the API".to_owned()
                        }
                    }
                };
                format!("{} ← {source}", user.name)
            })
            .collect();
        if !users.is_empty() {
            let _ = writeln!(out, "           users: {}", users.join(", "));
        }
        if !plan.products.is_empty() {
            let products: Vec<String> = plan
                .products
                .iter()
                .map(|(role, id)| format!("{} = {id}", role.label()))
                .collect();
            let _ = writeln!(out, "           products: {}", products.join(", "));
        }
        for request in &plan.requests {
            let path: Vec<String> = request
                .path
                .iter()
                .map(|(via, status)| {
                    let via = match via {
                        StatusPath::Created => "created",
                        StatusPath::ControlApi => "control API",
                        StatusPath::Activation => "activation",
                        StatusPath::Portal => "portal",
                    };
                    format!(
                        "{} by {via}",
                        crate::case::status_name(*status).unwrap_or("?")
                    )
                })
                .collect();
            if !path.is_empty() {
                let _ = writeln!(
                    out,
                    "           request {}: {}",
                    request.name,
                    path.join(", then ")
                );
            }
        }
        for message in &plan.messages {
            match message.channel {
                MessageChannel::Sms => sms += 1,
                MessageChannel::Email => emails += 1,
            }
            let note = match &message.verdict {
                Verdict::Allowed => "",
                Verdict::AtRunTime => {
                    at_run_time += 1;
                    " (checked against the test range when sent)"
                }
                Verdict::Refused(_) => " (refused)",
            };
            let _ = writeln!(
                out,
                "           step {}: {} to {}{note}",
                message.step + 1,
                message.channel,
                message.to
            );
        }
        for (step, duration, what) in &plan.waits {
            let _ = writeln!(
                out,
                "           step {}: waits {} for {what}{}",
                step + 1,
                seconds(*duration),
                if target.time.clock {
                    " (the sandbox's clock moves)"
                } else {
                    ""
                }
            );
            waits.push(*duration);
        }
        if plan.settles {
            let _ = writeln!(
                out,
                "           afterwards: open requests settled, users logged in at home"
            );
        }
    }
    let _ = writeln!(
        out,
        "\nmessages: {sms} SMS and {emails} email(s){}",
        if at_run_time > 0 {
            format!(", {at_run_time} checked against the test range when sent")
        } else {
            String::new()
        }
    );
    let total: Duration = waits.iter().sum();
    let _ = writeln!(
        out,
        "waits: {} ({} in all){}",
        waits.len(),
        seconds(total),
        if target.time.clock {
            ", on the sandbox's clock"
        } else {
            ", real time"
        }
    );
    if registered > 0 {
        let _ = writeln!(
            out,
            "new users registered through the API: {registered} (each takes a number of the \
             test range for good)"
        );
    }
    out
}

fn seconds(duration: Duration) -> String {
    format!("{} s", duration.as_secs())
}

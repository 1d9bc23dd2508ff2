// SPDX-License-Identifier: GPL-2.0

//! `rbusctl`: list, add, bind and drive the children of rbus controllers.
//!
//! Every failure is one line on stderr and a non-zero exit (see `--help`):
//! nothing here panics on bad input or a device that goes away, and nothing
//! waits without a bound unless asked to (`watch`, `stats --interval`).

mod cli;
mod input;
mod table;
mod view;

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{CommandFactory, Parser};
use rbus::sysfs::{Child, Counters};
use rbus::{Channel, ChildName, Completion, Errno, Error, Record, Request, Sysfs};
use serde::Serialize;

use crate::cli::{Cli, Command};
use crate::table::{pairs, Table};
use crate::view::*;

/// The driver of user-mode children.
const USER_DRIVER: &str = "rbus_dev";

/// Why rbusctl stops early.
enum Failure {
    /// Bad arguments or input: exit 2.
    Usage(String),
    /// The operation failed: exit 1.
    Failed(String),
    /// Standard output was closed (`rbusctl watch | head`): a quiet end.
    Closed,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Failed(e.to_string())
    }
}

type Res<T = ()> = Result<T, Failure>;

/// A failure of `action` with `errno`, as the library words its own.
fn failed(action: impl Into<String>, errno: Errno) -> Failure {
    Error::new(action, errno).into()
}

struct Ctx {
    sysfs: Sysfs,
    json: bool,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_failure(e),
    };
    // Tests point rbusctl at a copy of a sysfs tree; the directory stands for `/`.
    let sysfs = std::env::var_os("RBUSCTL_ROOT").map_or_else(Sysfs::new, Sysfs::with_root);
    let ctx = Ctx {
        sysfs,
        json: cli.json,
    };
    match run(&ctx, cli.command) {
        Ok(()) | Err(Failure::Closed) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            say(&msg);
            ExitCode::from(2)
        }
        Err(Failure::Failed(msg)) => {
            say(&msg);
            ExitCode::FAILURE
        }
    }
}

/// Help and version go to stdout with status 0. A usage error is one line, status 2.
fn clap_failure(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(2)
        }
        _ => {
            // clap's message, its tip if any, on one line.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("bad arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            let tip = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("tip: "))
                .map_or(String::new(), |t| format!("; {t}"));
            say(&format!("{first}{tip} (see rbusctl --help)"));
            ExitCode::from(2)
        }
    }
}

/// One line on stderr. A closed stderr is no reason to panic.
fn say(msg: &str) {
    let line = msg.replace('\n', " ");
    let _ = writeln!(io::stderr(), "rbusctl: {line}");
}

fn print(s: &str) -> Res {
    let mut out = io::stdout().lock();
    out.write_all(s.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| match e.kind() {
            io::ErrorKind::BrokenPipe => Failure::Closed,
            _ => Failure::Failed(format!("writing to standard output: {e}")),
        })
}

/// One JSON document, pretty-printed.
fn print_json<T: Serialize>(value: &T) -> Res {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::Failed(format!("encoding JSON: {e}")))?;
    print(&(text + "\n"))
}

/// One JSON object on one line, for streams.
fn print_json_line<T: Serialize>(value: &T) -> Res {
    let text =
        serde_json::to_string(value).map_err(|e| Failure::Failed(format!("encoding JSON: {e}")))?;
    print(&(text + "\n"))
}

fn run(ctx: &Ctx, command: Command) -> Res {
    match command {
        Command::List => list(ctx),
        Command::Add {
            child,
            compatible,
            wait,
            timeout,
        } => add(ctx, child.0, &compatible, wait.then_some(timeout)),
        Command::Remove { child } => remove(ctx, child.0),
        Command::Bind { child, driver } => bind(ctx, child.0, &driver),
        Command::Unbind { child } => unbind(ctx, child.0),
        Command::User { child, off } => user(ctx, child.0, off),
        Command::Info { child } => info(ctx, child.0),
        Command::Transfer {
            child,
            write,
            read,
            timeout,
        } => transfer(ctx, child.0, &write.0, read as usize, timeout),
        Command::Submit {
            child,
            file,
            timeout,
        } => submit(ctx, child.0, file.as_deref(), timeout),
        Command::Watch {
            child,
            count,
            duration,
            submit,
        } => watch(ctx, child.0, count, duration, submit.as_deref()),
        Command::Stats {
            children,
            interval,
            count,
        } => stats(ctx, &children, interval, count),
        Command::Man { dir } => man(dir.as_deref()),
    }
}

fn dash(s: Option<&str>) -> String {
    s.unwrap_or("-").to_string()
}

/// A child in a few words: `0-0040 (rbus,user): driver rbus_dev, channel /dev/rbus-0-0040`.
fn summary(c: &Child) -> String {
    let mut s = format!("{} ({}): ", c.name, c.compatible);
    match &c.driver {
        Some(d) => s.push_str(&format!("driver {d}")),
        None => s.push_str("no driver"),
    }
    if let Some(ch) = &c.channel {
        s.push_str(&format!(", channel {}", ch.display()));
    }
    if let Some(a) = &c.i2c_adapter {
        s.push_str(&format!(", I2C adapter i2c-{}", a.number));
    }
    s
}

/// Prints a child after a change: its JSON, or a line for people.
fn show_child(ctx: &Ctx, c: &Child, what: &str) -> Res {
    if ctx.json {
        print_json(&ChildJson::from(c))
    } else {
        print(&format!("{what} {}\n", summary(c)))
    }
}

fn list(ctx: &Ctx) -> Res {
    let controllers = ctx.sysfs.controllers()?;
    let children = ctx.sysfs.children()?;
    if ctx.json {
        return print_json(&ListJson {
            controllers: controllers.iter().map(ControllerJson::from).collect(),
            children: children.iter().map(ChildJson::from).collect(),
        });
    }
    let mut t = Table::new(&["CONTROLLER", "DRIVER", "HOST", "BUS", "PM", "CHILDREN"]);
    for c in &controllers {
        t.row(vec![
            c.device.clone(),
            dash(c.driver.as_deref()),
            c.host_name(),
            c.bus.to_string(),
            dash(c.runtime_status.as_deref()),
            c.children.to_string(),
        ]);
    }
    let mut out = t.render();
    let mut t = Table::new(&[
        "CHILD",
        "ADDRESS",
        "COMPATIBLE",
        "DRIVER",
        "PM",
        "CALLS",
        "EVENTS",
        "REQUESTS",
        "CHANNEL",
        "I2C",
    ]);
    for c in &children {
        t.row(vec![
            c.name.to_string(),
            format!("{:#05x}", c.name.addr),
            c.compatible.clone(),
            dash(c.driver.as_deref()),
            dash(c.runtime_status.as_deref()),
            c.counters.calls.to_string(),
            c.counters.events_delivered.to_string(),
            c.counters.requests_submitted.to_string(),
            c.channel
                .as_ref()
                .map_or("-".into(), |p| p.display().to_string()),
            c.i2c_adapter
                .as_ref()
                .map_or("-".into(), |a| format!("i2c-{}", a.number)),
        ]);
    }
    out.push('\n');
    out.push_str(&t.render());
    print(&out)
}

/// Waits up to `timeout` for `done`, checking every 20 ms.
fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether a child is ready for use: a driver bound, and its channel's node there if that
/// driver is `rbus_dev`.
fn ready(sysfs: &Sysfs, name: ChildName) -> bool {
    match sysfs.child(name) {
        Ok(c) => match c.driver.as_deref() {
            Some(USER_DRIVER) => c.channel.is_some_and(|p| p.exists()),
            Some(_) => true,
            None => false,
        },
        Err(_) => false,
    }
}

fn add(ctx: &Ctx, name: ChildName, compatible: &str, wait: Option<Duration>) -> Res {
    ctx.sysfs.add(name, compatible)?;
    if let Some(timeout) = wait {
        if !wait_until(timeout, || ready(&ctx.sysfs, name)) {
            return Err(failed(
                format!(
                    "added {name}, but no driver was bound within {} s",
                    timeout.as_secs_f64()
                ),
                Errno::TIMEDOUT,
            ));
        }
    }
    show_child(ctx, &ctx.sysfs.child(name)?, "added")
}

fn remove(ctx: &Ctx, name: ChildName) -> Res {
    ctx.sysfs.remove(name)?;
    if ctx.json {
        #[derive(Serialize)]
        struct Removed {
            name: String,
            removed: bool,
        }
        print_json(&Removed {
            name: name.to_string(),
            removed: true,
        })
    } else {
        print(&format!("removed {name}\n"))
    }
}

fn bind(ctx: &Ctx, name: ChildName, driver: &str) -> Res {
    ctx.sysfs.child(name)?;
    ctx.sysfs.bind(name, driver)?;
    show_child(ctx, &ctx.sysfs.child(name)?, "bound")
}

fn unbind(ctx: &Ctx, name: ChildName) -> Res {
    ctx.sysfs.unbind(name)?;
    show_child(ctx, &ctx.sysfs.child(name)?, "unbound")
}

fn user(ctx: &Ctx, name: ChildName, off: bool) -> Res {
    let child = ctx.sysfs.child(name)?;
    let bound_to_user = child.driver.as_deref() == Some(USER_DRIVER);
    if off {
        ctx.sysfs.set_driver_override(name, None)?;
        if bound_to_user {
            ctx.sysfs.unbind(name)?;
        }
        // The bus looks for a driver by compatible, as when the child was added.
        ctx.sysfs.probe(name)?;
        return show_child(ctx, &ctx.sysfs.child(name)?, "switched back:");
    }
    // Refuse before changing anything when rbus_dev is not there to bind.
    let drv = ctx.sysfs.bus_dir().join("drivers").join(USER_DRIVER);
    if !drv.exists() {
        return Err(failed(
            format!(
                "switching {name} to {USER_DRIVER}: {} is missing (modprobe {USER_DRIVER})",
                drv.display()
            ),
            Errno::NOENT,
        ));
    }
    ctx.sysfs.set_driver_override(name, Some(USER_DRIVER))?;
    if !bound_to_user {
        if child.driver.is_some() {
            ctx.sysfs.unbind(name)?;
        }
        ctx.sysfs.bind(name, USER_DRIVER)?;
    }
    wait_until(Duration::from_secs(5), || ready(&ctx.sysfs, name));
    show_child(ctx, &ctx.sysfs.child(name)?, "switched to user mode:")
}

/// Opens child `name`'s channel, or says why it has none.
fn open_channel(ctx: &Ctx, name: ChildName) -> Res<Channel> {
    let child = ctx.sysfs.child(name)?;
    match &child.channel {
        Some(path) => Ok(Channel::open_path(path, true)?),
        None => Err(failed(
            format!(
                "{name} has no channel: its driver is {}, not {USER_DRIVER} (`rbusctl user {name}` switches it)",
                child.driver.as_deref().unwrap_or("none")
            ),
            Errno::NODEV,
        )),
    }
}

fn info(ctx: &Ctx, name: ChildName) -> Res {
    let child = ctx.sysfs.child(name)?;
    let channel_info = match &child.channel {
        Some(path) => Some(Channel::open_path(path, true)?.info()?),
        None => None,
    };
    if ctx.json {
        return print_json(&InfoJson {
            child: ChildJson::from(&child),
            channel_info: channel_info.as_ref().map(ChannelInfoJson::from),
        });
    }
    let c = &child;
    let mut items: Vec<(&str, String)> = vec![
        ("name", c.name.to_string()),
        ("address", format!("{:#05x}", c.name.addr)),
        ("compatible", c.compatible.clone()),
        ("driver", dash(c.driver.as_deref())),
        ("driver_override", dash(c.driver_override.as_deref())),
        ("runtime_status", dash(c.runtime_status.as_deref())),
        ("runtime_control", dash(c.runtime_control.as_deref())),
        ("sysfs", c.path.display().to_string()),
        (
            "channel",
            c.channel
                .as_ref()
                .map_or("-".into(), |p| p.display().to_string()),
        ),
    ];
    if let Some(i) = &channel_info {
        items.push(("version", i.version.to_string()));
        items.push(("queue_depth", i.queue_depth.to_string()));
        items.push(("submit_max", i.submit_max.to_string()));
        items.push(("data_max", i.data_max.to_string()));
        items.push(("record_size", i.record_size.to_string()));
    }
    if let Some(a) = &c.i2c_adapter {
        items.push(("i2c_adapter", format!("i2c-{} ({})", a.number, a.name)));
        for cl in &a.clients {
            let at = cl
                .address
                .map_or(String::new(), |a| format!(" at {a:#04x}"));
            items.push((
                "i2c_client",
                format!(
                    "{}{at}: {}, driver {}",
                    cl.device,
                    cl.name,
                    dash(cl.driver.as_deref())
                ),
            ));
        }
    }
    for (counter, value) in c.counters.iter() {
        items.push((counter, value.to_string()));
    }
    print(&pairs(&items))
}

/// Reads completions until `count` have come or `timeout` passed; calls `each` on each.
/// Events are skipped. A device that goes away ends it with `ENODEV`.
fn collect(
    ch: &Channel,
    count: usize,
    timeout: Duration,
    mut each: impl FnMut(Completion) -> Res,
) -> Res {
    let deadline = Instant::now() + timeout;
    let mut left = count;
    while left > 0 {
        let now = Instant::now();
        if now >= deadline {
            return Err(failed(
                format!(
                    "{} of {count} completions within {} s",
                    count - left,
                    timeout.as_secs_f64()
                ),
                Errno::TIMEDOUT,
            ));
        }
        let ready = ch.poll(false, Some(deadline - now))?;
        if !ready.readable && !ready.hangup {
            continue;
        }
        let records = ch.read()?;
        if records.is_empty() && ready.hangup {
            return Err(failed(
                format!("read on {}", ch.path().display()),
                Errno::NODEV,
            ));
        }
        for r in records {
            if let Record::Completion(c) = r {
                left = left.saturating_sub(1);
                each(c)?;
            }
        }
    }
    Ok(())
}

/// Submits every request, in batches the channel takes, waiting for room up to `deadline`.
fn submit_all(ch: &Channel, requests: &[Request], deadline: Instant) -> Res {
    let max = ch.info()?.submit_max.max(1) as usize;
    let mut done = 0;
    while done < requests.len() {
        let end = (done + max).min(requests.len());
        match ch.submit(&requests[done..end]) {
            Ok(n) => done += n,
            Err(e) if e.errno() == Errno::AGAIN => {
                let now = Instant::now();
                if now >= deadline {
                    return Err(failed(
                        format!(
                            "{done} of {} requests queued: the queue stayed full",
                            requests.len()
                        ),
                        Errno::TIMEDOUT,
                    ));
                }
                ch.poll(true, Some(deadline - now))?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Adds what was being done to a failure.
fn context<T>(what: impl std::fmt::Display, r: Res<T>) -> Res<T> {
    r.map_err(|f| match f {
        Failure::Failed(m) => Failure::Failed(format!("{what}: {m}")),
        Failure::Usage(m) => Failure::Usage(format!("{what}: {m}")),
        Failure::Closed => Failure::Closed,
    })
}

fn transfer(ctx: &Ctx, name: ChildName, write: &[u8], read: usize, timeout: Duration) -> Res {
    let request = Request::transfer(1, write, read).map_err(|e| Failure::Usage(e.to_string()))?;
    context(
        format!("transfer on {name}"),
        (|| {
            let ch = open_channel(ctx, name)?;
            ch.submit_one(&request)?;
            let mut done = None;
            collect(&ch, 1, timeout, |c| {
                done = Some(c);
                Ok(())
            })?;
            let Some(c) = done else {
                return Err(failed("no completion", Errno::IO));
            };
            if ctx.json {
                print_json_line(&RecordJson::completion(&c))?;
            } else if c.status == 0 && !c.data.is_empty() {
                print(&format!("{}\n", hex(&c.data)))?;
            }
            match c.result() {
                Ok(_) => Ok(()),
                Err(errno) => Err(failed(format!("request {} failed", c.id), errno)),
            }
        })(),
    )
}

/// Reads a batch from a file, or standard input for `-` or none.
fn read_batch(file: Option<&Path>) -> Res<Vec<Request>> {
    let (what, text) = match file {
        Some(p) if p != Path::new("-") => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| Error::from_io(format!("reading {}", p.display()), &e))?;
            (p.display().to_string(), text)
        }
        _ => {
            let mut text = String::new();
            io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Error::from_io("reading standard input", &e))?;
            ("standard input".to_string(), text)
        }
    };
    input::parse_batch(&text).map_err(|m| Failure::Usage(format!("{what}: {m}")))
}

fn submit(ctx: &Ctx, name: ChildName, file: Option<&Path>, timeout: Duration) -> Res {
    let requests = read_batch(file)?;
    context(
        format!("submit on {name}"),
        (|| {
            let ch = open_channel(ctx, name)?;
            let deadline = Instant::now() + timeout;
            submit_all(&ch, &requests, deadline)?;
            let mut done: BTreeMap<u64, Completion> = BTreeMap::new();
            collect(
                &ch,
                requests.len(),
                deadline.saturating_duration_since(Instant::now()),
                |c| {
                    done.insert(c.id, c);
                    Ok(())
                },
            )?;
            if ctx.json {
                for c in done.values() {
                    print_json_line(&RecordJson::completion(c))?;
                }
            } else {
                let mut t = Table::new(&["ID", "STATUS", "LEN", "DATA"]);
                for c in done.values() {
                    t.row(vec![
                        c.id.to_string(),
                        status_text(c),
                        c.data.len().to_string(),
                        hex(&c.data),
                    ]);
                }
                print(&t.render())?;
            }
            let bad = done.values().filter(|c| c.status != 0).count();
            if bad > 0 {
                return Err(Failure::Failed(format!(
                    "{bad} of {} requests failed",
                    requests.len()
                )));
            }
            Ok(())
        })(),
    )
}

/// A record as a line of `watch`'s table.
fn record_line(r: &Record) -> String {
    let line = match r {
        Record::Completion(c) => format!(
            "{:<10}  {:>6}  {:>4}  {:>7}  {}  {}",
            "completion",
            c.id,
            "",
            "",
            status_text(c),
            hex(&c.data)
        ),
        Record::Event(e) => format!(
            "{:<10}  {:>6}  {:>4}  {:>7}",
            "event", e.seq, e.kind, e.payload
        ),
        Record::Unknown { record_type, id } => {
            format!("{:<10}  {id:>6}  type {record_type}", "unknown")
        }
        _ => "unknown".to_string(),
    };
    line.trim_end().to_string() + "\n"
}

fn watch(
    ctx: &Ctx,
    name: ChildName,
    count: Option<u64>,
    duration: Option<Duration>,
    batch: Option<&Path>,
) -> Res {
    let requests = match batch {
        Some(file) => Some(read_batch(Some(file))?),
        None => None,
    };
    context(
        format!("watch {name}"),
        (|| {
            let ch = open_channel(ctx, name)?;
            let deadline = duration.map(|d| Instant::now() + d);
            if let Some(requests) = &requests {
                submit_all(
                    &ch,
                    requests,
                    deadline.unwrap_or_else(|| Instant::now() + Duration::from_secs(10)),
                )?;
            }
            if !ctx.json {
                print(&format!(
                    "{:<10}  {:>6}  {:>4}  {:>7}  {}\n",
                    "RECORD", "ID/SEQ", "KIND", "PAYLOAD", "STATUS  DATA"
                ))?;
            }
            let gone = |e: Error| {
                if e.errno() == Errno::NODEV {
                    Failure::Failed(format!("the device is gone (removed or unbound): {e}"))
                } else {
                    e.into()
                }
            };
            let mut seen = 0u64;
            loop {
                if count.is_some_and(|n| seen >= n) {
                    return Ok(());
                }
                let timeout = match deadline {
                    Some(d) => match d.checked_duration_since(Instant::now()) {
                        Some(left) if !left.is_zero() => Some(left),
                        _ => return Ok(()),
                    },
                    None => None,
                };
                let ready = ch.poll(false, timeout)?;
                if !ready.readable && !ready.hangup {
                    continue;
                }
                let records = ch.read().map_err(gone)?;
                if records.is_empty() && ready.hangup {
                    return Err(gone(Error::new(
                        format!("read on {}", ch.path().display()),
                        Errno::NODEV,
                    )));
                }
                for r in &records {
                    if ctx.json {
                        print_json_line(&RecordJson::of(r))?;
                    } else {
                        print(&record_line(r))?;
                    }
                    seen += 1;
                    if count.is_some_and(|n| seen >= n) {
                        return Ok(());
                    }
                }
            }
        })(),
    )
}

/// Counters that are levels, not counts: `stats` shows them as they are, not their change.
const LEVELS: [&str; 2] = ["events_pending", "requests_in_flight"];

fn stats(
    ctx: &Ctx,
    children: &[cli::Child],
    interval: Option<Duration>,
    count: Option<u64>,
) -> Res {
    let start = Instant::now();
    let mut prev: BTreeMap<ChildName, Counters> = BTreeMap::new();
    let mut samples = 0u64;
    loop {
        let names: Vec<ChildName> = if children.is_empty() {
            ctx.sysfs.child_names()?
        } else {
            children.iter().map(|c| c.0).collect()
        };
        let mut now: Vec<(ChildName, Counters)> = Vec::new();
        for name in names {
            match ctx.sysfs.child(name) {
                Ok(c) => now.push((name, c.counters)),
                // A child gone since the listing is left out; a named one is an error.
                Err(_) if children.is_empty() && !ctx.sysfs.has_child(name) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if ctx.json {
            print_json_line(&StatsJson {
                elapsed_ms: start.elapsed().as_millis(),
                children: now
                    .iter()
                    .map(|(n, c)| StatsChildJson {
                        name: n.to_string(),
                        counters: CountersJson(*c),
                    })
                    .collect(),
            })?;
        } else {
            let mut out = String::new();
            if let Some(i) = interval {
                if samples == 0 {
                    out.push_str("totals:\n");
                } else {
                    out.push_str(&format!(
                        "\nchange over {} s (at {:.1} s):\n",
                        i.as_secs_f64(),
                        start.elapsed().as_secs_f64()
                    ));
                }
            }
            let mut t = Table::new(&STATS_HEADER);
            for (name, c) in &now {
                let before = prev.get(name).filter(|_| samples > 0);
                let mut row = vec![name.to_string()];
                for (counter, value) in c.iter() {
                    let shown = match before {
                        Some(b) if !LEVELS.contains(&counter) => {
                            let old = b.iter().find(|(n, _)| *n == counter).map_or(0, |(_, v)| v);
                            value.wrapping_sub(old)
                        }
                        _ => value,
                    };
                    row.push(shown.to_string());
                }
                t.row(row);
            }
            out.push_str(&t.render());
            print(&out)?;
        }
        samples += 1;
        prev = now.into_iter().collect();
        let Some(i) = interval else { return Ok(()) };
        if count.is_some_and(|n| samples >= n) {
            return Ok(());
        }
        std::thread::sleep(i);
    }
}

fn man(dir: Option<&Path>) -> Res {
    if let Some(dir) = dir {
        return clap_mangen::generate_to(Cli::command(), dir).map_err(|e| {
            Error::from_io(format!("writing man pages to {}", dir.display()), &e).into()
        });
    }
    let mut roff = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut roff)
        .map_err(|e| Failure::Failed(format!("rendering the man page: {e}")))?;
    print(&String::from_utf8_lossy(&roff))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn watch_lines() {
        let e = Record::Event(rbus::Event {
            seq: 1,
            kind: 3,
            payload: 77,
        });
        assert_eq!(record_line(&e), "event            1     3       77\n");
        let c = Record::Completion(Completion {
            id: 2,
            status: 0,
            data: vec![0xed, 0xcb],
        });
        assert_eq!(
            record_line(&c),
            "completion       2                 ok  ed cb\n"
        );
        let c = Record::Completion(Completion {
            id: 3,
            status: -125,
            data: vec![],
        });
        assert!(record_line(&c).ends_with("Operation canceled (ECANCELED)\n"));
    }
}

// SPDX-License-Identifier: GPL-2.0

//! `rbusctl` against a fake sysfs tree (`RBUSCTL_ROOT`): its output, its
//! errors and its exit codes. The guest's kselftest drives the real bus.

#[path = "../../rbus/tests/fake/mod.rs"]
mod fake;

use std::process::{Command, Output};

use fake::FakeSysfs;
use serde_json::Value;

fn rbusctl(f: &FakeSysfs, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rbusctl"))
        .env("RBUSCTL_ROOT", &f.root)
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// Asserts a failure: its exit code and one line on stderr holding `text`.
fn fails(o: &Output, code: i32, text: &str) {
    let err = String::from_utf8(o.stderr.clone()).unwrap();
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with("rbusctl: "), "{err}");
    assert!(err.contains(text), "{err:?} lacks {text:?}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn list_json_has_the_documented_fields() {
    let f = FakeSysfs::new();
    let o = rbusctl(&f, &["--json", "list"]);
    assert!(o.status.success());
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let ctrl = &v["controllers"][1];
    assert_eq!(ctrl["device"], "PRP0001:01");
    assert_eq!(ctrl["driver"], "rbus_ctrl");
    assert_eq!(ctrl["host"], "rbus1");
    assert_eq!(ctrl["bus"], 1);
    assert_eq!(ctrl["runtime_status"], "suspended");
    assert_eq!(ctrl["children"], 1);
    assert!(ctrl["sysfs"]
        .as_str()
        .unwrap()
        .ends_with("/PRP0001:01/rbus1"));

    let children = v["children"].as_array().unwrap();
    assert_eq!(children.len(), 3);
    let demo = &children[0];
    // The fields come in this order (serde_json's map here sorts them, so look at the text).
    let text = stdout(&o);
    let first = &text[text.find("\"children\": [").unwrap()..];
    let at = |key: &str| first.find(&format!("\"{key}\":")).unwrap();
    let keys = [
        "name",
        "bus",
        "address",
        "compatible",
        "driver",
        "driver_override",
        "runtime_status",
        "runtime_control",
        "sysfs",
        "channel",
        "i2c_adapter",
        "counters",
    ];
    for k in keys.windows(2) {
        assert!(at(k[0]) < at(k[1]), "{k:?}");
    }
    assert_eq!(demo.as_object().unwrap().len(), keys.len());
    assert_eq!(demo["name"], "0-0010");
    assert_eq!(demo["address"], 16);
    assert_eq!(demo["compatible"], "rbus,demo");
    assert_eq!(demo["driver"], "rbus_demo");
    assert_eq!(demo["driver_override"], Value::Null);
    assert_eq!(demo["channel"], Value::Null);
    assert_eq!(demo["counters"]["calls"], 7);
    assert_eq!(demo["counters"]["channel_events_dropped"], 17);
    let names = rbus::sysfs::Counters::NAMES;
    assert!(names.windows(2).all(|k| at(k[0]) < at(k[1])));
    assert_eq!(demo["counters"].as_object().unwrap().len(), names.len());

    let user = &children[1];
    assert!(user["channel"]
        .as_str()
        .unwrap()
        .ends_with("/dev/rbus-0-0040"));
    let i2c = &children[2]["i2c_adapter"];
    assert_eq!(i2c["number"], 3);
    assert_eq!(i2c["device"], "/dev/i2c-3");
    assert_eq!(i2c["name"], "rbus-i2c 1-0060");
    assert_eq!(i2c["clients"].as_array().unwrap().len(), 2);
    assert_eq!(i2c["clients"][0]["name"], "24c02");
    assert_eq!(i2c["clients"][0]["address"], 80);
    assert_eq!(i2c["clients"][0]["driver"], "at24");
    assert_eq!(i2c["clients"][1]["device"], "i2c-PRP0001:02");
    assert_eq!(i2c["clients"][1]["address"], Value::Null);
}

#[test]
fn list_is_aligned_tables() {
    let f = FakeSysfs::new();
    let o = rbusctl(&f, &["list"]);
    assert!(o.status.success());
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "CONTROLLER  DRIVER     HOST   BUS  PM         CHILDREN"
    );
    assert_eq!(
        lines[1],
        "PRP0001:00  rbus_ctrl  rbus0    0  active            2"
    );
    assert_eq!(lines[3], "");
    assert!(lines[4].starts_with("CHILD   ADDRESS  COMPATIBLE  DRIVER     PM      CALLS"));
    assert!(lines[5].starts_with("0-0010  0x010    rbus,demo   rbus_demo  active      7"));
    assert!(lines[7].starts_with("1-0060  0x060    rbus,i2c    rbus_i2c   active     42"));
    assert!(
        lines[7].ends_with("  -  i2c-3") || lines[7].contains("  -   "),
        "{}",
        lines[7]
    );
    assert!(lines[7].ends_with("i2c-3"), "{}", lines[7]);
}

#[test]
fn info_of_the_tunnel_child_shows_its_adapter() {
    let f = FakeSysfs::new();
    let o = rbusctl(&f, &["info", "1-0060"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(
        out.contains("\ni2c_adapter             i2c-3 (rbus-i2c 1-0060)\n"),
        "{out}"
    );
    assert!(
        out.contains("\ni2c_client              3-0050 at 0x50: 24c02, driver at24\n"),
        "{out}"
    );
    assert!(out.contains("\nrequests_submitted      47\n"), "{out}");
    let o = rbusctl(&f, &["--json", "info", "1-60"]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["name"], "1-0060");
    assert_eq!(v["channel_info"], Value::Null);
}

#[test]
fn changes_write_the_sysfs_files() {
    let f = FakeSysfs::new();
    let o = rbusctl(&f, &["remove", "0-0010"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o), "removed 0-0010\n");
    assert_eq!(
        f.read("sys/devices/platform/PRP0001:00/rbus0/delete_device"),
        "0x10"
    );

    let o = rbusctl(&f, &["--json", "unbind", "0-0010"]);
    assert!(o.status.success());
    assert_eq!(f.read("sys/bus/rbus/drivers/rbus_demo/unbind"), "0-0010");

    let o = rbusctl(&f, &["user", "0-0010"]);
    assert!(o.status.success(), "{o:?}");
    assert!(f
        .read("sys/bus/rbus/devices/0-0010/driver_override")
        .starts_with("rbus_dev"));
    assert_eq!(f.read("sys/bus/rbus/drivers/rbus_dev/bind"), "0-0010");
}

#[test]
fn stats_json_per_sample() {
    let f = FakeSysfs::new();
    let o = rbusctl(
        &f,
        &[
            "--json",
            "stats",
            "0-0040",
            "--interval",
            "0.05",
            "--count",
            "2",
        ],
    );
    assert!(o.status.success());
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2);
    for l in lines {
        let v: Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["children"][0]["name"], "0-0040");
        assert_eq!(v["children"][0]["counters"]["requests_submitted"], 5);
    }
    let o = rbusctl(&f, &["stats", "0-0010", "1-0060"]);
    assert_eq!(
        stdout(&o),
        "CHILD   CALLS  EV-DLV  EV-DEF  EV-DROP  EV-PEND  RQ-SUB  RQ-DONE  RQ-CANC  RQ-FAIL  RQ-FLY  CH-DROP\n\
         0-0010      7       8       9       10       11      12       13       14       15      16       17\n\
         1-0060     42      43      44       45       46      47       48       49       50      51       52\n"
    );
}

#[test]
fn bad_input_is_one_line_and_an_exit_code() {
    let f = FakeSysfs::new();
    fails(&rbusctl(&f, &["info", "0-0099"]), 1, "no child 0-0099 (");
    fails(
        &rbusctl(&f, &["info", "0-0099"]),
        1,
        "No such file or directory (ENOENT)",
    );
    fails(
        &rbusctl(&f, &["transfer", "0-0040", "--write", "zz", "--read", "1"]),
        2,
        "bad byte \"zz\"",
    );
    fails(
        &rbusctl(&f, &["transfer", "nope", "--write", "1"]),
        2,
        "\"nope\" is not a child",
    );
    fails(
        &rbusctl(&f, &["transfer", "0-0040", "--write", &"1 ".repeat(65)]),
        2,
        "65 bytes, at most 64",
    );
    fails(
        &rbusctl(&f, &["transfer", "0-0010", "--write", "12", "--read", "1"]),
        1,
        "transfer on 0-0010: 0-0010 has no channel: its driver is rbus_demo, not rbus_dev",
    );
    fails(
        &rbusctl(&f, &["add", "5-0001", "rbus,demo"]),
        1,
        "no controller with bus 5",
    );
    fails(
        &rbusctl(&f, &["bind", "0-0010", "nope"]),
        1,
        "no rbus driver nope",
    );
    fails(
        &rbusctl(&f, &["watch", "0-0099"]),
        1,
        "watch 0-0099: no child 0-0099",
    );
    fails(
        &rbusctl(&f, &["lst"]),
        2,
        "similar subcommand exists: 'list'",
    );
    std::fs::remove_dir_all(f.p("sys/bus/rbus")).unwrap();
    fails(
        &rbusctl(&f, &["list"]),
        1,
        "/sys/bus/rbus is missing (is rbus_core loaded? modprobe rbus_ctrl)",
    );
    fails(&rbusctl(&f, &["remove", "0-0010"]), 1, "no rbus bus: ");
}

#[test]
fn batch_errors_name_the_line() {
    let f = FakeSysfs::new();
    let file = f.p("batch");
    std::fs::write(&file, "12 34 read 4\nzz read 1\n").unwrap();
    fails(
        &rbusctl(&f, &["submit", "0-0040", file.to_str().unwrap()]),
        2,
        "batch: line 2: bad byte \"zz\"",
    );
    fails(
        &rbusctl(&f, &["submit", "0-0040", "/nonexistent/batch"]),
        1,
        "reading /nonexistent/batch: No such file or directory (ENOENT)",
    );
}

#[test]
fn help_version_and_man_page() {
    let f = FakeSysfs::new();
    let o = rbusctl(&f, &["--help"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("Exit status:"));
    assert!(rbusctl(&f, &["--version"]).status.success());
    let o = rbusctl(&f, &["man"]);
    assert!(o.status.success());
    let man = stdout(&o);
    assert!(man.starts_with(".ie"), "{}", &man[..40]);
    assert!(
        man.contains("rbusctl\\-transfer"),
        "no transfer in the man page"
    );
    let dir = f.p("man");
    std::fs::create_dir(&dir).unwrap();
    let o = rbusctl(&f, &["man", "--dir", dir.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(f.read("man/rbusctl-transfer.1").contains("\\-\\-write"));
    assert!(f.read("man/rbusctl.1").contains("Exit status"));
}

// SPDX-License-Identifier: GPL-2.0

//! `rbus::sysfs` on a fake tree laid out as the kernel's.

mod fake;

use rbus::sysfs::I2cClient;
use rbus::{ChildName, Errno, Sysfs};

fn name(s: &str) -> ChildName {
    s.parse().unwrap()
}

#[test]
fn controllers_by_bus() {
    let f = fake::FakeSysfs::new();
    let all = Sysfs::with_root(&f.root).controllers().unwrap();
    let seen: Vec<_> = all
        .iter()
        .map(|c| {
            (
                c.device.as_str(),
                c.bus,
                c.children,
                c.runtime_status.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("PRP0001:00", 0, 2, Some("active")),
            ("PRP0001:01", 1, 1, Some("suspended"))
        ]
    );
    assert_eq!(all[0].driver.as_deref(), Some("rbus_ctrl"));
    assert!(all[1].host.ends_with("PRP0001:01/rbus1"));
}

#[test]
fn children_and_their_files() {
    let f = fake::FakeSysfs::new();
    let sysfs = Sysfs::with_root(&f.root);
    let names: Vec<String> = sysfs
        .children()
        .unwrap()
        .iter()
        .map(|c| c.name.to_string())
        .collect();
    assert_eq!(names, ["0-0010", "0-0040", "1-0060"]);

    let demo = sysfs.child(name("0-0010")).unwrap();
    assert_eq!(demo.compatible, "rbus,demo");
    assert_eq!(demo.driver.as_deref(), Some("rbus_demo"));
    assert_eq!(demo.driver_override, None);
    assert_eq!(demo.runtime_status.as_deref(), Some("active"));
    assert_eq!(demo.channel, None);
    let values: Vec<u64> = demo.counters.iter().map(|(_, v)| v).collect();
    assert_eq!(values, (7..18).collect::<Vec<u64>>());
    assert_eq!(demo.counters.requests_submitted, 12);

    let user = sysfs.child(name("0-0040")).unwrap();
    assert_eq!(user.channel, Some(f.p("dev/rbus-0-0040")));

    let tunnel = sysfs.child(name("1-0060")).unwrap();
    let adapter = tunnel.i2c_adapter.unwrap();
    assert_eq!(
        (adapter.number, adapter.name.as_str()),
        (3, "rbus-i2c 1-0060")
    );
    assert_eq!(
        adapter.clients,
        [
            I2cClient {
                device: "3-0050".into(),
                address: Some(0x50),
                name: "24c02".into(),
                driver: Some("at24".into())
            },
            I2cClient {
                device: "i2c-PRP0001:02".into(),
                address: None,
                name: "lm75".into(),
                driver: Some("lm75".into())
            },
        ]
    );
}

#[test]
fn writes_go_to_the_right_files() {
    let f = fake::FakeSysfs::new();
    let sysfs = Sysfs::with_root(&f.root);
    sysfs.add(name("1-02a"), "rbus,demo").unwrap();
    assert_eq!(
        f.read("sys/devices/platform/PRP0001:01/rbus1/new_device"),
        "0x2a rbus,demo"
    );
    sysfs.remove(name("0-0010")).unwrap();
    assert_eq!(
        f.read("sys/devices/platform/PRP0001:00/rbus0/delete_device"),
        "0x10"
    );
    sysfs.unbind(name("0-0010")).unwrap();
    assert_eq!(f.read("sys/bus/rbus/drivers/rbus_demo/unbind"), "0-0010");
    sysfs.bind(name("0-0010"), "rbus_dev").unwrap();
    assert_eq!(f.read("sys/bus/rbus/drivers/rbus_dev/bind"), "0-0010");
    sysfs
        .set_driver_override(name("0-0010"), Some("rbus_dev"))
        .unwrap();
    assert!(f
        .read("sys/bus/rbus/devices/0-0010/driver_override")
        .starts_with("rbus_dev"));
    sysfs.probe(name("0-0010")).unwrap();
    assert_eq!(f.read("sys/bus/rbus/drivers_probe"), "0-0010");
}

#[test]
fn errors_name_the_file_and_errno() {
    let f = fake::FakeSysfs::new();
    let sysfs = Sysfs::with_root(&f.root);
    let e = sysfs.child(name("0-0099")).unwrap_err();
    assert_eq!(e.errno(), Errno::NOENT);
    assert!(e.to_string().starts_with("no child 0-0099 ("), "{e}");
    assert!(
        e.to_string()
            .ends_with("/sys/bus/rbus/devices/0-0099): No such file or directory (ENOENT)"),
        "{e}"
    );

    let e = sysfs.add(name("7-0001"), "rbus,demo").unwrap_err();
    assert_eq!(e.errno(), Errno::NOENT);
    assert!(
        e.to_string()
            .contains("no controller with bus 7 (there are rbus0, rbus1)"),
        "{e}"
    );

    let e = sysfs.bind(name("0-0010"), "nope").unwrap_err();
    assert!(e.to_string().contains("no rbus driver nope"), "{e}");

    sysfs.child(name("0-0010")).unwrap();
    std::fs::remove_file(f.p("sys/devices/platform/PRP0001:00/rbus0/0-0010/driver")).unwrap();
    let e = sysfs.unbind(name("0-0010")).unwrap_err();
    assert_eq!(e.errno(), Errno::NODEV);
}

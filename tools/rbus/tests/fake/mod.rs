// SPDX-License-Identifier: GPL-2.0

//! A fake sysfs tree as the running kernel lays it out, for tests on the
//! build machine: two controllers, a demo child, a user-mode child with a
//! channel and a tunnel child with an I2C adapter and two clients.

#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// A fake tree, removed on drop.
pub struct FakeSysfs {
    pub root: PathBuf,
}

impl Drop for FakeSysfs {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn link(target: &str, at: &Path) {
    fs::create_dir_all(at.parent().unwrap()).unwrap();
    symlink(target, at).unwrap();
}

impl FakeSysfs {
    pub fn new() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let root = std::env::temp_dir().join(format!(
            "rbus-fake-sysfs-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&root);
        let f = Self { root };
        for d in ["rbus_demo", "rbus_dev", "rbus_i2c"] {
            write(&f.p(&format!("sys/bus/rbus/drivers/{d}/bind")), "");
            write(&f.p(&format!("sys/bus/rbus/drivers/{d}/unbind")), "");
        }
        write(&f.p("sys/bus/rbus/drivers_probe"), "");
        fs::create_dir_all(f.p("sys/bus/rbus/devices")).unwrap();
        f.controller("PRP0001:00", 0, "active");
        f.controller("PRP0001:01", 1, "suspended");
        f.child(0, 0x10, "rbus,demo", Some("rbus_demo"), 7);
        f.child(0, 0x40, "rbus,user", Some("rbus_dev"), 0);
        write(&f.p("sys/class/rbus-dev/rbus-0-0040/dev"), "240:1\n");
        f.child(1, 0x60, "rbus,i2c", Some("rbus_i2c"), 42);
        let adapter = f.p("sys/devices/platform/PRP0001:01/rbus1/1-0060/i2c-3");
        write(&adapter.join("name"), "rbus-i2c 1-0060\n");
        // One client added by address, one from firmware; the adapter's own files and its
        // i2c-dev class device are no clients.
        let clients = [
            ("3-0050", "24c02", "at24"),
            ("i2c-PRP0001:02", "lm75", "lm75"),
        ];
        for (dev, name, driver) in clients {
            let c = adapter.join(dev);
            write(&c.join("name"), &format!("{name}\n"));
            link(
                &format!("../../../../../../../bus/i2c/drivers/{driver}"),
                &c.join("driver"),
            );
            link("../../../../../../../bus/i2c", &c.join("subsystem"));
        }
        link("../../../../../../bus/i2c", &adapter.join("subsystem"));
        write(&adapter.join("i2c-dev/i2c-3/dev"), "89:3\n");
        write(&adapter.join("new_device"), "");
        f
    }

    /// A path in the tree.
    pub fn p(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn controller(&self, dev: &str, bus: u32, pm: &str) {
        let d = self.p(&format!("sys/devices/platform/{dev}"));
        let host = d.join(format!("rbus{bus}"));
        write(&host.join("new_device"), "");
        write(&host.join("delete_device"), "");
        write(&host.join("power/runtime_status"), &format!("{pm}\n"));
        link("../../../bus/platform/drivers/rbus_ctrl", &d.join("driver"));
        link(
            &format!("../../../../devices/platform/{dev}"),
            &self.p(&format!("sys/bus/platform/drivers/rbus_ctrl/{dev}")),
        );
    }

    /// A child with every counter set to `base` plus its index.
    pub fn child(&self, bus: u32, addr: u32, compatible: &str, driver: Option<&str>, base: u64) {
        let name = format!("{bus}-{addr:04x}");
        let dev = if bus == 0 { "PRP0001:00" } else { "PRP0001:01" };
        let d = self.p(&format!("sys/devices/platform/{dev}/rbus{bus}/{name}"));
        write(&d.join("compatible"), &format!("{compatible}\n"));
        write(&d.join("address"), &format!("{addr:#05x}\n"));
        write(&d.join("modalias"), &format!("rbus:{compatible}\n"));
        write(&d.join("driver_override"), "(null)\n");
        write(&d.join("power/runtime_status"), "active\n");
        write(&d.join("power/control"), "on\n");
        for (i, c) in rbus::sysfs::Counters::NAMES.iter().enumerate() {
            write(&d.join(c), &format!("{}\n", base + i as u64));
        }
        if let Some(drv) = driver {
            link(
                &format!("../../../../../bus/rbus/drivers/{drv}"),
                &d.join("driver"),
            );
        }
        link(
            &format!("../../../devices/platform/{dev}/rbus{bus}/{name}"),
            &self.p(&format!("sys/bus/rbus/devices/{name}")),
        );
    }

    /// What was written to a file.
    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.p(rel)).unwrap()
    }
}

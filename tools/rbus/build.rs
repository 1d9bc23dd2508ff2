// SPDX-License-Identifier: GPL-2.0

//! Takes the request channel's layout and numbers from the UAPI header.
//!
//! A small C program includes `include/uapi/linux/rbus.h` and prints the
//! size of every struct, the offset of every field and the value of every
//! constant as Rust `const`s. `src/uapi.rs` asserts its `#[repr(C)]` mirror
//! against them at compile time and takes the ioctl numbers from them, so a
//! change of the header that the mirror does not follow fails the build.
//! This needs only the C compiler the kernel build needs anyway, not libclang.
//!
//! `RBUS_UAPI_INCLUDE` names another directory holding `linux/rbus.h`.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The structs and fields to measure, in header order.
const FIELDS: &[(&str, &[&str])] = &[
    ("rbus_req", &["id", "op", "flags", "tx_len", "rx_len", "tx"]),
    ("rbus_submit", &["reqs", "count", "req_size", "reserved"]),
    ("rbus_cancel", &["id", "reserved"]),
    (
        "rbus_info",
        &[
            "version",
            "bus",
            "addr",
            "queue_depth",
            "submit_max",
            "data_max",
            "record_size",
            "reserved",
            "compatible",
        ],
    ),
    (
        "rbus_record",
        &["id", "type", "status", "len", "kind", "payload", "data"],
    ),
];

/// The constants to take, all non-negative.
const CONSTANTS: &[&str] = &[
    "RBUS_UAPI_VERSION",
    "RBUS_DATA_MAX",
    "RBUS_SUBMIT_MAX",
    "RBUS_OP_TRANSFER",
    "RBUS_RECORD_COMPLETION",
    "RBUS_RECORD_EVENT",
    "RBUS_IOC_INFO",
    "RBUS_IOC_SUBMIT",
    "RBUS_IOC_CANCEL",
];

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let include = match env::var_os("RBUS_UAPI_INCLUDE") {
        Some(dir) => PathBuf::from(dir),
        None => manifest.join("../../include/uapi"),
    };
    let header = include.join("linux/rbus.h");
    println!("cargo::rerun-if-env-changed=RBUS_UAPI_INCLUDE");
    println!("cargo::rerun-if-env-changed=CC");
    println!("cargo::rerun-if-changed={}", header.display());
    if !header.is_file() {
        panic!("{}: not found (set RBUS_UAPI_INCLUDE)", header.display());
    }

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    let src = out.join("uapi_layout.c");
    let exe = out.join("uapi_layout");
    fs::write(&src, c_program()).expect("write the layout program");
    compile(&include, &src, &exe);

    let output = Command::new(&exe)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", exe.display()));
    if !output.status.success() {
        panic!("{} failed: {}", exe.display(), output.status);
    }
    fs::write(out.join("uapi_layout.rs"), output.stdout).expect("write uapi_layout.rs");
}

/// The program printing the header's layout as Rust.
fn c_program() -> String {
    let mut c = String::from(
        "#include <stddef.h>\n#include <stdio.h>\n#include <linux/rbus.h>\n\nint main(void)\n{\n",
    );
    for (st, fields) in FIELDS {
        let upper = st.to_uppercase();
        c.push_str(&format!(
            "\tprintf(\"pub const SIZE_{upper}: usize = %zu;\\n\", sizeof(struct {st}));\n"
        ));
        for f in *fields {
            let fu = f.to_uppercase();
            c.push_str(&format!(
                "\tprintf(\"pub const OFFSET_{upper}_{fu}: usize = %zu;\\n\", offsetof(struct {st}, {f}));\n"
            ));
        }
    }
    for k in CONSTANTS {
        c.push_str(&format!(
            "\tprintf(\"pub const {k}: u64 = %llu;\\n\", (unsigned long long)({k}));\n"
        ));
    }
    c.push_str("\treturn 0;\n}\n");
    c
}

/// Compiles the program for the build machine, whose layout the target shares: the tools are
/// built for the machine's own architecture.
fn compile(include: &Path, src: &Path, exe: &Path) {
    let cc = env::var("HOST_CC")
        .or_else(|_| env::var("CC"))
        .unwrap_or_else(|_| "cc".into());
    let status = Command::new(&cc)
        .arg("-Wall")
        .arg("-Werror")
        .arg("-isystem")
        .arg(include)
        .arg("-o")
        .arg(exe)
        .arg(src)
        .status()
        .unwrap_or_else(|e| panic!("running the C compiler `{cc}`: {e}"));
    if !status.success() {
        panic!(
            "`{cc}` could not compile {} against the UAPI header",
            src.display()
        );
    }
}

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The rbus controller on x86 QEMU, loaded with -acpitable.
 *
 * _HID "PRP0001" makes ACPI match the device against OF compatible strings in
 * _DSD, so the controller's one OF match table serves DT and ACPI alike. The
 * children carry "reg" (their bus address) and "compatible" in _DSD, which
 * the controller reads through the fwnode API; see rbus,sim-controller.yaml.
 */
DefinitionBlock ("", "SSDT", 2, "RBUS", "RBUSCTRL", 0x00000001)
{
    Scope (\_SB)
    {
        Device (RBC0)
        {
            Name (_HID, "PRP0001")
            Name (_UID, Zero)
            Name (_DSD, Package ()
            {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package ()
                {
                    Package () { "compatible", "rbus,sim-controller" },
                }
            })

            Device (CH10)
            {
                Name (_ADR, 0x10)
                Name (_DSD, Package ()
                {
                    ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                    Package ()
                    {
                        Package () { "compatible", "rbus,demo" },
                        Package () { "reg", 0x10 },
                    }
                })
            }

            Device (CH2A)
            {
                Name (_ADR, 0x2a)
                Name (_DSD, Package ()
                {
                    ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                    Package ()
                    {
                        Package () { "compatible", "rbus,demo" },
                        Package () { "reg", 0x2a },
                    }
                })
            }
            /*
             * Bad children: the controller reports and skips each one.
             * No "reg":
             */
            Device (CHNR)
            {
                Name (_ADR, 0x11)
                Name (_DSD, Package ()
                {
                    ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                    Package ()
                    {
                        Package () { "compatible", "rbus,demo" },
                    }
                })
            }

            /* The address of CH10 again: */
            Device (CHDU)
            {
                Name (_ADR, 0x10)
                Name (_DSD, Package ()
                {
                    ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                    Package ()
                    {
                        Package () { "compatible", "rbus,demo" },
                        Package () { "reg", 0x10 },
                    }
                })
            }

            /* Past the 10-bit address space: */
            Device (CHOR)
            {
                Name (_ADR, 0x400)
                Name (_DSD, Package ()
                {
                    ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                    Package ()
                    {
                        Package () { "compatible", "rbus,demo" },
                        Package () { "reg", 0x400 },
                    }
                })
            }
        }
    }
}

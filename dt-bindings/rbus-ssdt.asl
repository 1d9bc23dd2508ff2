/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The rbus controller on x86 QEMU, loaded with -acpitable.
 *
 * _HID "PRP0001" makes ACPI match the device against OF compatible strings in
 * _DSD, so the controller's one OF match table serves DT and ACPI alike. The
 * children carry "reg" (their bus address) and "compatible" in _DSD, which
 * the controller reads through the fwnode API; see rbus,sim-controller.yaml.
 *
 * A second controller, RBC1, has one child, an I2C tunnel (rbus,i2c.yaml):
 * the I2C devices behind it are ACPI devices whose I2cSerialBusV2 resource
 * names the tunnel child as their controller, so i2c-core enumerates them on
 * the adapter that rbus_i2c registers for that child, and at24 and lm75 bind
 * with no manual step.
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
        Device (RBC1)
        {
            Name (_HID, "PRP0001")
            Name (_UID, One)
            Name (_DSD, Package ()
            {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package ()
                {
                    Package () { "compatible", "rbus,sim-controller" },
                }
            })

            Device (CHI2)
            {
                Name (_ADR, 0x60)
                Name (_DSD, Package ()
                {
                    ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                    Package ()
                    {
                        Package () { "compatible", "rbus,i2c" },
                        Package () { "reg", 0x60 },
                    }
                })

                /* A 24c02 EEPROM: 256 bytes in 8-byte pages. */
                Device (EEP0)
                {
                    Name (_HID, "PRP0001")
                    Name (_UID, 0x50)
                    Name (_CRS, ResourceTemplate ()
                    {
                        I2cSerialBusV2 (0x50, ControllerInitiated, 100000,
                            AddressingMode7Bit, "\\_SB.RBC1.CHI2", 0x00,
                            ResourceConsumer, , Exclusive, )
                    })
                    Name (_DSD, Package ()
                    {
                        ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                        Package ()
                        {
                            Package () { "compatible", "atmel,24c02" },
                            Package () { "pagesize", 8 },
                        }
                    })
                }

                /* An LM75 temperature sensor. */
                Device (TMP0)
                {
                    Name (_HID, "PRP0001")
                    Name (_UID, 0x48)
                    Name (_CRS, ResourceTemplate ()
                    {
                        I2cSerialBusV2 (0x48, ControllerInitiated, 100000,
                            AddressingMode7Bit, "\\_SB.RBC1.CHI2", 0x00,
                            ResourceConsumer, , Exclusive, )
                    })
                    Name (_DSD, Package ()
                    {
                        ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                        Package ()
                        {
                            Package () { "compatible", "national,lm75" },
                        }
                    })
                }
            }
        }
    }
}

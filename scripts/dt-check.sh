#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Validate the bindings in dt-bindings/ as the kernel's `make dt_binding_check`
# does: each schema against dtschema's meta-schemas, then each example,
# compiled by dtc, against the processed schemas (dtschema's core ones plus
# ours).

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
RBUS_CACHE=${RBUS_CACHE:-$HOME/.cache/rbus}
# shellcheck source=/dev/null
. "$RBUS_CACHE/env.sh"
out="$top/build/dt"
rm -rf "$out"
mkdir -p "$out"

schemas=("$top"/dt-bindings/rbus/*.yaml)
dt-doc-validate -u "$top/dt-bindings" "${schemas[@]}"
dt-mk-schema -j "$top/dt-bindings" >"$out/processed-schema.json"

n=0
for schema in "${schemas[@]}"; do
	name=$(basename "$schema" .yaml)
	grep -q '^examples:' "$schema" || continue
	dt-extract-example "$schema" >"$out/$name.example.dts"
	dtc -q -I dts -O dtb -o "$out/$name.example.dtb" "$out/$name.example.dts"
	dt-validate -s "$out/processed-schema.json" "$out/$name.example.dtb" 2>&1 |
		tee "$out/$name.validate.log"
	# dt-validate reports problems on stderr but exits 0.
	[ ! -s "$out/$name.validate.log" ] || { echo "dt-check: $name example invalid" >&2; exit 1; }
	n=$((n + 1))
done
echo "dt-check: ${#schemas[@]} schemas and $n examples valid"

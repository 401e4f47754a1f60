#!/usr/bin/env bash
# Prepares the artefacts the PXE end-to-end tests (test/e2e) boot, in a cache directory:
#   vmlinuz          a Debian cloud kernel (serial console, initrd, gzip, EFI stub and ACPI power-off built in)
#   initrd.cpio.gz   busybox-static plus an /init that prints /proc/cmdline between markers and powers off
#   assets.txt       what was built from what (kernel package and version, initramfs stamp)
# Idempotent: an artefact that exists (and, for the initramfs, was built from the same /init and busybox) is kept.
# Needs root (apt-get download as root, mknod for /dev/console) and Debian's apt tools. Without them it says why
# and exits 0 so CI goes on; the e2e tests then skip with a loud warning.
# Env: METALBUS_E2E_CACHE (default /var/cache/metalbus-e2e).
set -euo pipefail

CACHE=${METALBUS_E2E_CACHE:-/var/cache/metalbus-e2e}
# The markers are part of the harness's contract: test/e2e/harness/serial.ts looks for exactly these lines.
BEGIN_MARK='METALBUS-E2E-CMDLINE-BEGIN'
END_MARK='METALBUS-E2E-CMDLINE-END'

skip() {
  printf '\n!! e2e-assets: NOT preparing e2e artefacts: %s\n!! the PXE end-to-end tests (test/e2e) will be SKIPPED.\n\n' "$*" >&2
  exit 0
}
say() { printf 'e2e-assets: %s\n' "$*"; }

[ "$(id -u)" -eq 0 ] || skip "not root (needs root for apt-get download and mknod)"
for tool in apt-get apt-cache dpkg-deb dpkg-query tar gzip; do
  command -v "$tool" >/dev/null 2>&1 || skip "'$tool' is not installed (not a Debian machine?)"
done
# /bin/busybox must be the static build: the guest has no libc. busybox-static conflicts with the dynamic
# busybox package, so its presence settles which one /bin/busybox is.
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' ||
  skip "package busybox-static is not installed"

mkdir -p "$CACHE"
work=$(mktemp -d "$CACHE/.work.XXXXXX")
chmod 0755 "$work" # apt downloads as _apt, which must reach the folder
trap 'rm -rf "$work"' EXIT

# ---- kernel --------------------------------------------------------------------------------------------------
# The meta package linux-image-cloud-amd64 depends on exactly one versioned image package: name that one,
# because `apt-get download` with a glob fetches every version the archive still has.
kernel_package() {
  apt-cache depends linux-image-cloud-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n 1
}

fetch_kernel() {
  local pkg=$1 deb
  mkdir -p "$work/deb"
  # apt drops privileges to _apt for downloads; let it write here so it doesn't warn and fall back to root.
  chown _apt "$work/deb" 2>/dev/null || true
  (cd "$work/deb" && apt-get download -q "$pkg") || return 1
  deb=$(find "$work/deb" -name "${pkg}_*.deb" | head -n 1)
  [ -n "$deb" ] || return 1
  # Only ./boot/vmlinuz-* is needed: streaming the data tarball skips writing ~90 MB of modules.
  mkdir -p "$work/x"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/x" --wildcards './boot/vmlinuz-*'
  local image
  image=$(find "$work/x/boot" -name 'vmlinuz-*' | head -n 1)
  [ -s "$image" ] || return 1
  cp "$image" "$work/vmlinuz"
  printf 'kernel %s %s\n' "$pkg" "$(dpkg-deb -f "$deb" Version)" >"$work/kernel.txt"
}

if [ -s "$CACHE/vmlinuz" ]; then
  say "kernel present: $CACHE/vmlinuz"
else
  [ "$(uname -m)" = x86_64 ] || skip "the guest kernel is x86-64 and this host is $(uname -m)"
  pkg=$(kernel_package)
  if [ -z "$pkg" ] || ! fetch_kernel "$pkg"; then
    # Package lists absent (fresh image) or stale (the versioned package moved on): refresh once and retry.
    say "refreshing apt package lists"
    apt-get update -q
    pkg=$(kernel_package)
    [ -n "$pkg" ] || { echo "e2e-assets: apt knows no linux-image-cloud-amd64" >&2; exit 1; }
    fetch_kernel "$pkg" || { echo "e2e-assets: could not fetch $pkg" >&2; exit 1; }
  fi
  mv "$work/vmlinuz" "$CACHE/vmlinuz"
  mv "$work/kernel.txt" "$CACHE/kernel.txt"
  say "kernel from $(cut -d' ' -f2- "$CACHE/kernel.txt") -> $CACHE/vmlinuz"
fi

# ---- initramfs -----------------------------------------------------------------------------------------------
# /init is the whole guest userland. Every applet is called through /bin/busybox so no links are needed.
# panic=-1 on the kernel command line plus QEMU's -no-reboot turn a broken /init into a prompt QEMU exit.
init_script=$(cat <<EOF
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
echo
echo $BEGIN_MARK
/bin/busybox cat /proc/cmdline
echo $END_MARK
echo "METALBUS-E2E-UPTIME \$(/bin/busybox cut -d' ' -f1 /proc/uptime)"
/bin/busybox poweroff -f
EOF
)
stamp="init=$(printf '%s' "$init_script" | sha256sum | cut -c1-16) busybox=$(dpkg-query -W -f='${Version}' busybox-static)"

if [ -s "$CACHE/initrd.cpio.gz" ] && [ "$(cat "$CACHE/initrd.stamp" 2>/dev/null)" = "$stamp" ]; then
  say "initramfs present: $CACHE/initrd.cpio.gz"
else
  root="$work/initrd"
  mkdir -p "$root/bin" "$root/dev" "$root/proc"
  cp /bin/busybox "$root/bin/busybox"
  printf '%s\n' "$init_script" >"$root/init"
  chmod 0755 "$root/init" "$root/bin/busybox"
  # The kernel opens /dev/console for /init before anything can mount devtmpfs: it must be in the archive.
  mknod -m 600 "$root/dev/console" c 5 1
  mknod -m 666 "$root/dev/null" c 1 3
  # newc is the cpio format the kernel unpacks; busybox-static's cpio writes it, so no cpio package is needed.
  # pipefail makes a failing cpio fail the script instead of leaving a 20-byte archive.
  (cd "$root" && find . | LC_ALL=C sort | /bin/busybox cpio -o -H newc 2>/dev/null | gzip -9 -n) >"$work/initrd.cpio.gz"
  [ "$(stat -c %s "$work/initrd.cpio.gz")" -gt 100000 ] || { echo "e2e-assets: initramfs came out too small" >&2; exit 1; }
  mv "$work/initrd.cpio.gz" "$CACHE/initrd.cpio.gz"
  printf '%s\n' "$stamp" >"$CACHE/initrd.stamp"
  say "initramfs ($stamp) -> $CACHE/initrd.cpio.gz"
fi

{
  cat "$CACHE/kernel.txt" 2>/dev/null || echo 'kernel (unknown origin)'
  printf 'initrd %s\n' "$(cat "$CACHE/initrd.stamp")"
} >"$CACHE/assets.txt"
say "ready in $CACHE"

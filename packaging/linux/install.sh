#!/bin/sh
# Installs GenoFlow Desktop for the current user (no root): the app into ~/.local/opt/genoflow,
# the `genoflow` command into ~/.local/bin, plus the menu entry, icons and file types.
# Run it again to upgrade: your data (in ~/.local/share/GenoFlow) is kept.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-"$HOME/.local"}
target="$prefix/opt/genoflow"

rm -rf "$target.new"
mkdir -p "$prefix/opt" "$prefix/bin" "$prefix/share/applications" "$prefix/share/mime/packages"
cp -R "$here/genoflow" "$target.new"
rm -rf "$target"
mv "$target.new" "$target"
ln -sf "$target/genoflow" "$prefix/bin/genoflow"
cp -R "$here/share/icons" "$prefix/share/"
sed "s|^Exec=genoflow|Exec=$target/genoflow|" "$here/share/applications/genoflow.desktop" > "$prefix/share/applications/genoflow.desktop"
cp "$here/share/mime/packages/genoflow.xml" "$prefix/share/mime/packages/genoflow.xml"
command -v update-mime-database >/dev/null && update-mime-database "$prefix/share/mime" || true
command -v update-desktop-database >/dev/null && update-desktop-database "$prefix/share/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$prefix/share/icons/hicolor" || true
echo "GenoFlow Desktop installed in $target; start it from your menu or with: genoflow"

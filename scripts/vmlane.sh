# Sourced by the test-vm*.sh scripts: sets VMLANE, the directory of the VM
# lane's scripts (build-image.sh, run-in-vm.sh), from $VMLANE, or
# ../shared/vmlane beside the checkout, or /work/shared/vmlane.
for d in "${VMLANE:-}" ../shared/vmlane /work/shared/vmlane; do
	if [ -n "$d" ] && [ -x "$d/run-in-vm.sh" ]; then
		VMLANE=$(realpath "$d")
		break
	fi
	d=
done
if [ -z "$d" ]; then
	echo "$(basename "$0"): the VM lane is not on this machine (set VMLANE to the directory of run-in-vm.sh)" >&2
	exit 2
fi

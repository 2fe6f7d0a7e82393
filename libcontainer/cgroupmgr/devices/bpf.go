package devices

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Each bpf(2) command below gets the prefix of union bpf_attr it reads;
// the kernel takes the rest as zero.

// bpfCall runs bpf(cmd, attr, size). A program load that a signal
// interrupts (EAGAIN, since Linux 4.20) is tried again.
func bpfCall(cmd uintptr, attr unsafe.Pointer, size uintptr) (uintptr, error) {
	for tries := 0; ; tries++ {
		r, _, errno := unix.Syscall(unix.SYS_BPF, cmd, uintptr(attr), size)
		if errno == 0 {
			return r, nil
		}
		if errno == unix.EAGAIN && cmd == unix.BPF_PROG_LOAD && tries < 30 {
			continue
		}
		return 0, os.NewSyscallError("bpf", errno)
	}
}

// progLoadAttr is the BPF_PROG_LOAD part of union bpf_attr.
type progLoadAttr struct {
	progType uint32
	insnCnt  uint32
	insns    uint64
	license  uint64
	logLevel uint32
	logSize  uint32
	logBuf   uint64
}

// loadProgram loads a BPF_PROG_TYPE_CGROUP_DEVICE program, under license,
// and returns its fd. When the kernel refuses it, the error holds the verifier's log.
func loadProgram(prog []insn) (int, error) {
	if len(prog) == 0 {
		return -1, errors.New("empty BPF program")
	}
	lic := append([]byte(license), 0)
	// The attr holds addresses as integers: pin what they point to so it
	// stays on the heap, in place and alive, until the calls return.
	var pin runtime.Pinner
	defer pin.Unpin()
	pin.Pin(&prog[0])
	pin.Pin(&lic[0])
	attr := progLoadAttr{
		progType: unix.BPF_PROG_TYPE_CGROUP_DEVICE,
		insnCnt:  uint32(len(prog)),
		insns:    uint64(uintptr(unsafe.Pointer(&prog[0]))),
		license:  uint64(uintptr(unsafe.Pointer(&lic[0]))),
	}
	fd, err := bpfCall(unix.BPF_PROG_LOAD, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	if err == nil {
		return int(fd), nil
	}
	// Once more, with the verifier's log, to say why.
	log := make([]byte, 256*1024)
	pin.Pin(&log[0])
	attr.logLevel = 1
	attr.logSize = uint32(len(log))
	attr.logBuf = uint64(uintptr(unsafe.Pointer(&log[0])))
	if fd, err2 := bpfCall(unix.BPF_PROG_LOAD, unsafe.Pointer(&attr), unsafe.Sizeof(attr)); err2 == nil {
		// Not expected; take the program.
		return int(fd), nil
	}
	if n := bytes.IndexByte(log, 0); n > 0 {
		return -1, fmt.Errorf("%w: verifier: %s", err, bytes.TrimSpace(log[:n]))
	}
	return -1, err
}

// progQueryAttr is the BPF_PROG_QUERY part of union bpf_attr, up to
// query.revision: kernels from 6.17 write the revision whatever size they
// are given, so the struct must have room for it.
type progQueryAttr struct {
	targetFD        uint32
	attachType      uint32
	queryFlags      uint32
	attachFlags     uint32
	progIDs         uint64
	progCnt         uint32
	_               uint32
	progAttachFlags uint64
	linkIDs         uint64
	linkAttachFlags uint64
	revision        uint64
}

// attachedPrograms returns the ids of the device programs attached to the
// cgroup directory (not those of its ancestors).
func attachedPrograms(cgroupFD int) ([]uint32, error) {
	n := 64 // the kernel's limit per cgroup and attach type, today
	for range 10 {
		ids := make([]uint32, n)
		var pin runtime.Pinner
		pin.Pin(&ids[0])
		attr := progQueryAttr{
			targetFD:   uint32(cgroupFD),
			attachType: unix.BPF_CGROUP_DEVICE,
			progIDs:    uint64(uintptr(unsafe.Pointer(&ids[0]))),
			progCnt:    uint32(n),
		}
		_, err := bpfCall(unix.BPF_PROG_QUERY, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
		pin.Unpin()
		if errors.Is(err, unix.ENOSPC) {
			// More than n: progCnt now says how many.
			n = int(attr.progCnt)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("query the device programs of the cgroup: %w", err)
		}
		return ids[:attr.progCnt], nil
	}
	return nil, errors.New("query the device programs of the cgroup: their number keeps changing")
}

// AttachedPrograms returns the ids of the BPF device programs attached to
// the cgroup v2 directory dir (for tests and diagnostics).
func AttachedPrograms(dir string) ([]uint32, error) {
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd)
	return attachedPrograms(fd)
}

// programFD opens the program with the given id.
func programFD(id uint32) (int, error) {
	attr := struct{ id, next, openFlags uint32 }{id: id}
	fd, err := bpfCall(unix.BPF_PROG_GET_FD_BY_ID, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	return int(fd), err
}

// attachAttr is the BPF_PROG_ATTACH and BPF_PROG_DETACH part of union
// bpf_attr.
type attachAttr struct {
	targetFD    uint32
	attachBpfFD uint32
	attachType  uint32
	attachFlags uint32
}

// attachProgram attaches the device program progFD to the cgroup
// cgroupFD, beside those already there.
func attachProgram(cgroupFD, progFD int) error {
	return attachCall(unix.BPF_PROG_ATTACH, cgroupFD, progFD, unix.BPF_F_ALLOW_MULTI)
}

// detachProgram detaches the device program progFD from the cgroup
// cgroupFD.
func detachProgram(cgroupFD, progFD int) error {
	return attachCall(unix.BPF_PROG_DETACH, cgroupFD, progFD, 0)
}

func attachCall(cmd uintptr, cgroupFD, progFD int, flags uint32) error {
	attr := attachAttr{
		targetFD:    uint32(cgroupFD),
		attachBpfFD: uint32(progFD),
		attachType:  unix.BPF_CGROUP_DEVICE,
		attachFlags: flags,
	}
	_, err := bpfCall(cmd, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	return err
}

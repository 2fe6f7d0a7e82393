package initproc

import (
	"encoding/binary"
	"fmt"
	"os"
	"slices"

	"github.com/seed4bdd2c93/runc/libcontainer/protocol"
)

// bindSource asks the parent for the source of mounts[i] if it is one the
// parent opens (see libcontainer/bindsources_linux.go), or returns nil.
func (l *linuxInit) bindSource(i int) (*os.File, error) {
	if !slices.Contains(l.cfg.BindSources, i) {
		return nil, nil
	}
	var payload [4]byte
	binary.NativeEndian.PutUint32(payload[:], uint32(i))
	if err := l.sock.Write(protocol.SyncMountRequest, payload[:]); err != nil {
		return nil, err
	}
	_, file, err := l.expectFile(protocol.SyncMountFd)
	if err == nil && file == nil {
		err = fmt.Errorf("%s without a file", protocol.SyncMountFd)
	}
	return file, err
}

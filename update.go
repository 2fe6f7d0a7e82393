package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/docker/go-units"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"github.com/urfave/cli"
)

var updateCommand = cli.Command{
	Name:      "update",
	Usage:     "update container resource constraints",
	ArgsUsage: `<container-id>`,
	Flags: []cli.Flag{
		cli.StringFlag{
			Name: "resources, r",
			Usage: `path to the file containing the resources to update or '-' to read from the standard input

The accepted format is as follow (unchanged values can be omitted):

{
  "memory": {
    "limit": 0,
    "reservation": 0,
    "swap": 0,
    "checkBeforeUpdate": true
  },
  "cpu": {
    "shares": 0,
    "quota": 0,
    "burst": 0,
    "period": 0,
    "realtimeRuntime": 0,
    "realtimePeriod": 0,
    "cpus": "",
    "mems": "",
    "idle": 0
  },
  "blockIO": {
    "weight": 0
  }
}

Note: if data is to be read from a file or the standard input, all
other options are ignored.
`,
		},
		cli.IntFlag{Name: "blkio-weight", Usage: "Specifies per cgroup weight, range is from 10 to 1000"},
		cli.StringFlag{Name: "cpu-period", Usage: "CPU CFS period to be used for hardcapping (in usecs). 0 to use system default"},
		cli.StringFlag{Name: "cpu-quota", Usage: "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period"},
		cli.StringFlag{Name: "cpu-burst", Usage: "CPU CFS hardcap burst limit (in usecs). Allowed accumulated cpu time additionally for burst a given period"},
		cli.StringFlag{Name: "cpu-share", Usage: "CPU shares (relative weight vs. other containers)"},
		cli.StringFlag{Name: "cpu-rt-period", Usage: "CPU realtime period to be used for hardcapping (in usecs). 0 to use system default"},
		cli.StringFlag{Name: "cpu-rt-runtime", Usage: "CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period"},
		cli.StringFlag{Name: "cpuset-cpus", Usage: "CPU(s) to use"},
		cli.StringFlag{Name: "cpuset-mems", Usage: "Memory node(s) to use"},
		cli.StringFlag{Name: "kernel-memory", Usage: "(obsoleted; do not use)", Hidden: true},
		cli.StringFlag{Name: "kernel-memory-tcp", Usage: "(obsoleted; do not use)", Hidden: true},
		cli.StringFlag{Name: "memory", Usage: "Memory limit (in bytes)"},
		cli.StringFlag{Name: "cpu-idle", Usage: "set cgroup SCHED_IDLE or not, 0: default behavior, 1: SCHED_IDLE"},
		cli.StringFlag{Name: "memory-reservation", Usage: "Memory reservation or soft_limit (in bytes)"},
		cli.StringFlag{Name: "memory-swap", Usage: "Total memory usage (memory + swap); set '-1' to enable unlimited swap"},
		cli.IntFlag{Name: "pids-limit", Usage: "Maximum number of pids allowed in the container"},
		cli.StringFlag{Name: "l3-cache-schema", Usage: "The string of Intel RDT/CAT L3 cache schema"},
		cli.StringFlag{Name: "mem-bw-schema", Usage: "The string of Intel RDT/MBA memory bandwidth schema"},
	},
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, exactArgs); err != nil {
			return err
		}
		c, err := getContainer(ctx, true)
		if err != nil {
			return err
		}
		defer c.Close()

		var r *specs.LinuxResources
		if in := ctx.String("resources"); in != "" {
			r, err = readResources(in)
		} else {
			r, err = resourcesFromFlags(ctx)
		}
		if err != nil {
			return err
		}
		if m := r.Memory; m != nil && (m.Kernel != nil || m.KernelTCP != nil) { //nolint:staticcheck // deprecated fields, only warned about
			logrus.Warn("Kernel memory settings are ignored and will be removed")
		}

		// Intel RDT: refused up front, as runc does on a host without it.
		l3, mb := ctx.String("l3-cache-schema"), ctx.String("mem-bw-schema")
		if l3 != "" || mb != "" {
			cat, mba := resctrlFeatures()
			if l3 != "" && !cat {
				return errors.New("Intel RDT/CAT: l3 cache schema is not enabled") //nolint:staticcheck // runc's wording
			}
			if mb != "" && !mba {
				return errors.New("Intel RDT/MBA: memory bandwidth schema is not enabled") //nolint:staticcheck // runc's wording
			}
			if cfg := c.State().Config; cfg == nil || cfg.Linux == nil || cfg.Linux.IntelRdt == nil {
				return errors.New("updating a non-existent Intel RDT configuration is not supported")
			}
			return errors.New("updating the Intel RDT configuration is not supported by this runtime")
		}
		return c.Update(r)
	},
}

// readResources decodes linux.resources JSON from a file, or from stdin
// for "-".
func readResources(in string) (*specs.LinuxResources, error) {
	f := os.Stdin
	if in != "-" {
		var err error
		if f, err = os.Open(in); err != nil {
			return nil, err
		}
		defer f.Close()
	}
	var r specs.LinuxResources
	if err := json.NewDecoder(f).Decode(&r); err != nil {
		return nil, err
	}
	return &r, nil
}

// resourcesFromFlags builds the resources the command line options give;
// the options not given stay unset (nil), so they keep their values.
func resourcesFromFlags(ctx *cli.Context) (*specs.LinuxResources, error) {
	r := &specs.LinuxResources{
		Memory:  &specs.LinuxMemory{},
		CPU:     &specs.LinuxCPU{},
		BlockIO: &specs.LinuxBlockIO{},
	}
	if v := ctx.Int("blkio-weight"); v != 0 {
		if v < 0 || v > 0xffff {
			return nil, fmt.Errorf("invalid value for blkio-weight: %d", v)
		}
		w := uint16(v)
		r.BlockIO.Weight = &w
	}
	r.CPU.Cpus = ctx.String("cpuset-cpus")
	r.CPU.Mems = ctx.String("cpuset-mems")
	if s := ctx.String("cpu-idle"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid value for cpu-idle: %w", err)
		}
		r.CPU.Idle = &v
	}
	for _, f := range []struct {
		name string
		dst  **uint64
	}{
		{"cpu-burst", &r.CPU.Burst},
		{"cpu-period", &r.CPU.Period},
		{"cpu-rt-period", &r.CPU.RealtimePeriod},
		{"cpu-share", &r.CPU.Shares},
	} {
		if s := ctx.String(f.name); s != "" {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("invalid value for %s: %w", f.name, err)
			}
			*f.dst = &v
		}
	}
	for _, f := range []struct {
		name string
		dst  **int64
	}{
		{"cpu-quota", &r.CPU.Quota},
		{"cpu-rt-runtime", &r.CPU.RealtimeRuntime},
	} {
		if s := ctx.String(f.name); s != "" {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("invalid value for %s: %w", f.name, err)
			}
			*f.dst = &v
		}
	}
	for _, f := range []struct {
		name string
		dst  **int64
	}{
		{"memory", &r.Memory.Limit},
		{"memory-swap", &r.Memory.Swap},
		{"kernel-memory", &r.Memory.Kernel}, //nolint:staticcheck // accepted and warned about, as runc
		{"kernel-memory-tcp", &r.Memory.KernelTCP},
		{"memory-reservation", &r.Memory.Reservation},
	} {
		if s := ctx.String(f.name); s != "" {
			v := int64(-1)
			if s != "-1" {
				var err error
				if v, err = units.RAMInBytes(s); err != nil {
					return nil, fmt.Errorf("invalid value for %s: %w", f.name, err)
				}
			}
			*f.dst = &v
		}
	}
	if ctx.IsSet("pids-limit") {
		v := int64(ctx.Int("pids-limit"))
		r.Pids = &specs.LinuxPids{Limit: &v}
	}
	return r, nil
}

// resctrlFeatures reports whether Intel RDT cache allocation (CAT) and
// memory bandwidth allocation (MBA) are available: a resctrl filesystem is
// mounted and lists them under info/.
func resctrlFeatures() (cat, mba bool) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return false, false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		// "... mountpoint ... - fstype source options"
		pre, post, ok := strings.Cut(s.Text(), " - ")
		if !ok || !strings.HasPrefix(post, "resctrl ") {
			continue
		}
		fields := strings.Fields(pre)
		if len(fields) < 5 {
			continue
		}
		mnt := fields[4]
		_, errL3 := os.Stat(filepath.Join(mnt, "info", "L3"))
		_, errMB := os.Stat(filepath.Join(mnt, "info", "MB"))
		return errL3 == nil, errMB == nil
	}
	return false, false
}

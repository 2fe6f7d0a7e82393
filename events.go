package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/opencontainers/cgroups"
	"github.com/sirupsen/logrus"
	"github.com/urfave/cli"

	"github.com/seed4bdd2c93/runc/libcontainer"
	"github.com/seed4bdd2c93/runc/types"
)

var eventsCommand = cli.Command{
	Name:  "events",
	Usage: "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
	ArgsUsage: `<container-id>

Where "<container-id>" is the name for the instance of the container.`,
	Description: `The events command displays information about the container. By default the
information is displayed once every 5 seconds.`,
	Flags: []cli.Flag{
		cli.DurationFlag{Name: "interval", Value: 5 * time.Second, Usage: "set the stats collection interval"},
		cli.BoolFlag{Name: "stats", Usage: "display the container's stats then exit"},
	},
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, exactArgs); err != nil {
			return err
		}
		// Not locked: events runs for as long as the container does, and
		// must not hold up delete, update or pause.
		c, err := getContainer(ctx, false)
		if err != nil {
			return err
		}
		defer c.Close()
		interval := ctx.Duration("interval")
		if interval <= 0 {
			return errors.New("duration interval must be greater than 0")
		}
		if c.Status() == libcontainer.Stopped {
			return fmt.Errorf("container with id %s is not running", c.ID())
		}
		enc := json.NewEncoder(os.Stdout)
		emit := func(e *types.Event) {
			if err := enc.Encode(e); err != nil {
				logrus.Error(err)
			}
		}
		if ctx.Bool("stats") {
			s, err := c.Stats()
			if err != nil {
				return err
			}
			emit(&types.Event{Type: "stats", ID: c.ID(), Data: convertStats(s)})
			return nil
		}

		watch, stop := context.WithCancel(context.Background())
		defer stop()
		oom, err := c.NotifyOOM(watch)
		if err != nil {
			return err
		}
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case _, ok := <-oom:
				if !ok {
					// The cgroup is gone (or, on v2, empty): the
					// container has stopped.
					return nil
				}
				emit(&types.Event{Type: "oom", ID: c.ID()})
			case <-tick.C:
				s, err := c.Stats()
				if err != nil {
					logrus.Error(err)
					continue
				}
				emit(&types.Event{Type: "stats", ID: c.ID(), Data: convertStats(s)})
			}
		}
	},
}

// convertStats turns the cgroup library's statistics into runc's event
// format.
func convertStats(cg *cgroups.Stats) *types.Stats {
	if cg == nil {
		return nil
	}
	var s types.Stats
	s.Pids.Current = cg.PidsStats.Current
	s.Pids.Limit = cg.PidsStats.Limit

	u := cg.CpuStats.CpuUsage
	s.CPU.Usage = types.CpuUsage{
		Total:        u.TotalUsage,
		Percpu:       u.PercpuUsage,
		PercpuKernel: u.PercpuUsageInKernelmode,
		PercpuUser:   u.PercpuUsageInUsermode,
		Kernel:       u.UsageInKernelmode,
		User:         u.UsageInUsermode,
	}
	t := cg.CpuStats.ThrottlingData
	s.CPU.Throttling = types.Throttling{Periods: t.Periods, ThrottledPeriods: t.ThrottledPeriods, ThrottledTime: t.ThrottledTime}
	s.CPU.PSI = cg.CpuStats.PSI

	s.CPUSet = types.CPUSet(cg.CPUSetStats)

	m := cg.MemoryStats
	s.Memory.Cache = m.Cache
	s.Memory.Usage = memoryEntry(m.Usage)
	s.Memory.Swap = memoryEntry(m.SwapUsage)
	s.Memory.Kernel = memoryEntry(m.KernelUsage)
	s.Memory.KernelTCP = memoryEntry(m.KernelTCPUsage)
	s.Memory.Raw = m.Stats
	s.Memory.PSI = m.PSI

	b := cg.BlkioStats
	s.Blkio = types.Blkio{
		IoServiceBytesRecursive: blkioEntries(b.IoServiceBytesRecursive),
		IoServicedRecursive:     blkioEntries(b.IoServicedRecursive),
		IoQueuedRecursive:       blkioEntries(b.IoQueuedRecursive),
		IoServiceTimeRecursive:  blkioEntries(b.IoServiceTimeRecursive),
		IoWaitTimeRecursive:     blkioEntries(b.IoWaitTimeRecursive),
		IoMergedRecursive:       blkioEntries(b.IoMergedRecursive),
		IoTimeRecursive:         blkioEntries(b.IoTimeRecursive),
		SectorsRecursive:        blkioEntries(b.SectorsRecursive),
		PSI:                     b.PSI,
	}

	s.Hugetlb = make(map[string]types.Hugetlb, len(cg.HugetlbStats))
	for size, h := range cg.HugetlbStats {
		s.Hugetlb[size] = types.Hugetlb{Usage: h.Usage, Max: h.MaxUsage, Failcnt: h.Failcnt}
	}
	return &s
}

func memoryEntry(d cgroups.MemoryData) types.MemoryEntry {
	return types.MemoryEntry{Limit: d.Limit, Usage: d.Usage, Max: d.MaxUsage, Failcnt: d.Failcnt}
}

func blkioEntries(in []cgroups.BlkioStatEntry) []types.BlkioEntry {
	var out []types.BlkioEntry
	for _, e := range in {
		out = append(out, types.BlkioEntry{Major: e.Major, Minor: e.Minor, Op: e.Op, Value: e.Value})
	}
	return out
}

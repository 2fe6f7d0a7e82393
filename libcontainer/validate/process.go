package validate

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	selinux "github.com/opencontainers/selinux/go-selinux"

	"github.com/seed4bdd2c93/runc/libcontainer/capabilities"
	"github.com/seed4bdd2c93/runc/libcontainer/procattr"
)

// process checks the process of a config being created: it is required
// there, and its user must be mapped in a new user namespace.
func (v *validator) process() error {
	if v.spec.Process == nil {
		return errors.New("process must be set")
	}
	return checkProcess(v.spec.Process, v)
}

// checkProcess checks p; v is the whole config's validator, or nil when p
// stands alone (exec --process).
func checkProcess(p *specs.Process, v *validator) error {
	if p == nil {
		return errors.New("process must be set")
	}
	if len(p.Args) == 0 {
		return errors.New("process.args must not be empty")
	}
	for i, a := range p.Args {
		if hasNUL(a) {
			return fmt.Errorf("process.args[%d] contains a NUL byte", i)
		}
	}
	if p.Cwd == "" {
		return errors.New("process.cwd must not be empty")
	}
	if !filepath.IsAbs(p.Cwd) {
		return fmt.Errorf("process.cwd %q must be an absolute path", p.Cwd)
	}
	if hasNUL(p.Cwd) {
		return errors.New("process.cwd contains a NUL byte")
	}
	if err := checkEnv("process.env", p.Env); err != nil {
		return err
	}
	if err := checkRlimits(p.Rlimits); err != nil {
		return err
	}
	if err := checkCapabilities(p.Capabilities); err != nil {
		return err
	}
	if err := checkUser(&p.User, v); err != nil {
		return err
	}
	if p.OOMScoreAdj != nil && (*p.OOMScoreAdj < -1000 || *p.OOMScoreAdj > 1000) {
		return fmt.Errorf("process.oomScoreAdj %d is out of range [-1000, 1000]", *p.OOMScoreAdj)
	}
	if err := checkScheduler(p.Scheduler); err != nil {
		return err
	}
	if err := checkIOPriority(p.IOPriority); err != nil {
		return err
	}
	if p.ExecCPUAffinity != nil {
		if _, err := parseList(p.ExecCPUAffinity.Initial); err != nil {
			return fmt.Errorf("process.execCPUAffinity.initial %q: %w", p.ExecCPUAffinity.Initial, err)
		}
		if _, err := parseList(p.ExecCPUAffinity.Final); err != nil {
			return fmt.Errorf("process.execCPUAffinity.final %q: %w", p.ExecCPUAffinity.Final, err)
		}
	}
	// LSM labels are plain strings handed to the kernel as they are; only
	// what the kernel cannot take is refused here.
	if strings.ContainsAny(p.ApparmorProfile, "\x00\n") {
		return errors.New("process.apparmorProfile contains a NUL byte or newline")
	}
	if strings.ContainsAny(p.SelinuxLabel, "\x00\n") {
		return errors.New("process.selinuxLabel contains a NUL byte or newline")
	}
	if p.SelinuxLabel != "" && !selinux.GetEnabled() {
		return errors.New("process.selinuxLabel: selinux label is specified in config, but selinux is disabled or not supported")
	}
	return nil
}

// checkEnv checks NAME=VALUE entries of process.env or a hook's env, with
// the rules (and wording) runc applies before exec.
func checkEnv(field string, env []string) error {
	for i, kv := range env {
		k, val, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("%s[%d] %q: invalid environment variable: missing '='", field, i, kv)
		}
		if k == "" {
			return fmt.Errorf("%s[%d] %q: invalid environment variable: name cannot be empty", field, i, kv)
		}
		if hasNUL(k) || hasNUL(val) {
			return fmt.Errorf("%s[%d]: invalid environment variable %q: contains a NUL byte", field, i, k)
		}
	}
	return nil
}

// checkRlimits checks that every rlimit type is known, appears once, and
// that no soft limit is above its hard limit (setrlimit would fail).
func checkRlimits(rls []specs.POSIXRlimit) error {
	seen := make(map[string]int, len(rls))
	for i, rl := range rls {
		if !procattr.Rlimits.Has(rl.Type) {
			return fmt.Errorf("process.rlimits[%d].type: wrong rlimit value: %q", i, rl.Type)
		}
		if j, dup := seen[rl.Type]; dup {
			return fmt.Errorf("process.rlimits[%d].type %q duplicates process.rlimits[%d]", i, rl.Type, j)
		}
		seen[rl.Type] = i
		if rl.Soft > rl.Hard {
			return fmt.Errorf("process.rlimits[%d] (%s): soft limit %d is greater than hard limit %d", i, rl.Type, rl.Soft, rl.Hard)
		}
	}
	return nil
}

// checkCapabilities checks that the effective set is within the permitted
// set, without which capset(2) fails. Names that are not capabilities (or
// not the running kernel's) are no error: as runc does, the init leaves
// them out with a warning (see capabilities.New).
func checkCapabilities(c *specs.LinuxCapabilities) error {
	caps, _, err := capabilities.Parse(c)
	if err != nil {
		return err
	}
	if c == nil {
		return nil
	}
	for i, n := range c.Effective {
		if caps.Has(capability.EFFECTIVE, n) && !caps.Has(capability.PERMITTED, n) {
			return fmt.Errorf("process.capabilities.effective[%d]: %s is not in process.capabilities.permitted", i, n)
		}
	}
	return nil
}

// invalidID is (uid_t)-1, which set*id(2) take as "leave unchanged".
const invalidID = ^uint32(0)

// checkUser checks process.user; with a whole config (v != nil) that
// creates a user namespace, its IDs must also be mapped there.
func checkUser(u *specs.User, v *validator) error {
	if u.UID == invalidID {
		return fmt.Errorf("process.user.uid %d is not a valid user ID", u.UID)
	}
	if u.GID == invalidID {
		return fmt.Errorf("process.user.gid %d is not a valid group ID", u.GID)
	}
	if u.Umask != nil && *u.Umask > 0o777 {
		return fmt.Errorf("process.user.umask %#o is not a file mode mask (at most 0777)", *u.Umask)
	}
	const ngroupsMax = 65536
	if len(u.AdditionalGids) > ngroupsMax {
		return fmt.Errorf("process.user.additionalGids has %d groups, more than the kernel's %d", len(u.AdditionalGids), ngroupsMax)
	}
	for i, g := range u.AdditionalGids {
		if g == invalidID {
			return fmt.Errorf("process.user.additionalGids[%d] %d is not a valid group ID", i, g)
		}
	}
	if v == nil {
		return nil
	}
	l := v.linux()
	if !v.newUserNS() || len(l.UIDMappings) == 0 || len(l.GIDMappings) == 0 {
		return nil
	}
	if !mapped(u.UID, l.UIDMappings) {
		return fmt.Errorf("process.user.uid %d is not mapped in linux.uidMappings", u.UID)
	}
	if !mapped(u.GID, l.GIDMappings) {
		return fmt.Errorf("process.user.gid %d is not mapped in linux.gidMappings", u.GID)
	}
	for i, g := range u.AdditionalGids {
		if !mapped(g, l.GIDMappings) {
			return fmt.Errorf("process.user.additionalGids[%d] %d is not mapped in linux.gidMappings", i, g)
		}
	}
	return nil
}

// checkScheduler checks process.scheduler like runc, plus the ranges
// sched_setattr(2) would refuse.
func checkScheduler(s *specs.Scheduler) error {
	if s == nil {
		return nil
	}
	if s.Policy == "" {
		return errors.New("process.scheduler.policy: scheduler policy is required")
	}
	if !procattr.SchedPolicies.Has(s.Policy) {
		return fmt.Errorf("process.scheduler.policy %q is not a scheduling policy", s.Policy)
	}
	if s.Nice < -20 || s.Nice > 19 {
		return fmt.Errorf("process.scheduler.nice %d is out of range [-20, 19]", s.Nice)
	}
	rt := s.Policy == specs.SchedFIFO || s.Policy == specs.SchedRR
	if s.Priority != 0 && !rt {
		return errors.New("process.scheduler.priority can only be specified for SCHED_FIFO or SCHED_RR policy")
	}
	if rt && (s.Priority < 1 || s.Priority > 99) {
		return fmt.Errorf("process.scheduler.priority %d is out of range [1, 99] for %s", s.Priority, s.Policy)
	}
	if s.Policy != specs.SchedDeadline {
		if s.Runtime != 0 || s.Deadline != 0 || s.Period != 0 {
			return errors.New("process.scheduler runtime/deadline/period can only be specified for SCHED_DEADLINE policy")
		}
	} else {
		// sched_setattr(2): runtime <= deadline <= period (period 0
		// means period = deadline), and runtime at least 1024 ns.
		if s.Deadline == 0 {
			return errors.New("process.scheduler.deadline must be set for SCHED_DEADLINE")
		}
		if s.Runtime < 1024 || s.Runtime > s.Deadline {
			return fmt.Errorf("process.scheduler.runtime %d must be at least 1024 and at most deadline %d", s.Runtime, s.Deadline)
		}
		if s.Period != 0 && s.Period < s.Deadline {
			return fmt.Errorf("process.scheduler.period %d must not be less than deadline %d", s.Period, s.Deadline)
		}
	}
	for i, f := range s.Flags {
		if !procattr.SchedFlags.Has(f) {
			return fmt.Errorf("process.scheduler.flags[%d] %q is not a scheduler flag", i, f)
		}
	}
	return nil
}

// checkIOPriority checks process.ioPriority like runc.
func checkIOPriority(p *specs.LinuxIOPriority) error {
	if p == nil {
		return nil
	}
	switch p.Class {
	case specs.IOPRIO_CLASS_RT, specs.IOPRIO_CLASS_BE, specs.IOPRIO_CLASS_IDLE:
	default:
		return fmt.Errorf("process.ioPriority.class %q is not an I/O priority class", p.Class)
	}
	if p.Priority < 0 || p.Priority > 7 {
		return fmt.Errorf("process.ioPriority.priority %d is out of range [0, 7]", p.Priority)
	}
	return nil
}

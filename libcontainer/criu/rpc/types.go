package rpc

import "strconv"

// CriuReqType is criu_req_type: what a request asks, and what an answer
// answers.
type CriuReqType int32

const (
	ReqEmpty          CriuReqType = 0
	ReqDump           CriuReqType = 1
	ReqRestore        CriuReqType = 2
	ReqCheck          CriuReqType = 3
	ReqPreDump        CriuReqType = 4
	ReqPageServer     CriuReqType = 5
	ReqNotify         CriuReqType = 6
	ReqCPUInfoDump    CriuReqType = 7
	ReqCPUInfoCheck   CriuReqType = 8
	ReqFeatureCheck   CriuReqType = 9
	ReqVersion        CriuReqType = 10
	ReqWaitPid        CriuReqType = 11
	ReqPageServerChld CriuReqType = 12
	ReqSinglePreDump  CriuReqType = 13
)

// reqTypeNames are rpc.proto's names (error messages say "type DUMP").
var reqTypeNames = [...]string{
	"EMPTY", "DUMP", "RESTORE", "CHECK", "PRE_DUMP", "PAGE_SERVER", "NOTIFY",
	"CPUINFO_DUMP", "CPUINFO_CHECK", "FEATURE_CHECK", "VERSION", "WAIT_PID",
	"PAGE_SERVER_CHLD", "SINGLE_PRE_DUMP",
}

func (t CriuReqType) String() string {
	if t >= 0 && int(t) < len(reqTypeNames) {
		return reqTypeNames[t]
	}
	return strconv.Itoa(int(t))
}

// CriuCgMode is criu_cg_mode, --manage-cgroups-mode.
type CriuCgMode int32

const (
	CgIgnore  CriuCgMode = 0
	CgNone    CriuCgMode = 1
	CgProps   CriuCgMode = 2
	CgSoft    CriuCgMode = 3
	CgFull    CriuCgMode = 4
	CgStrict  CriuCgMode = 5
	CgDefault CriuCgMode = 6
)

// CriuReq is criu_req, a request to criu.
type CriuReq struct {
	Type          CriuReqType   // 1, required
	Opts          *CriuOpts     // 2
	NotifySuccess *bool         // 3
	KeepOpen      *bool         // 4
	Features      *CriuFeatures // 5
	Pid           *uint32       // 6 (WAIT_PID)
}

// CriuOpts is criu_opts, the options of a request (the command line of
// `criu dump` and `criu restore`); the fields the runtime uses.
type CriuOpts struct {
	ImagesDirFd       int32 // 1, required
	Pid               *int32
	LeaveRunning      *bool
	ExtUnixSk         *bool
	TcpEstablished    *bool
	EvasiveDevices    *bool
	ShellJob          *bool
	FileLocks         *bool
	LogLevel          *int32
	LogFile           *string // 10
	Ps                *CriuPageServerInfo
	NotifyScripts     *bool
	Root              *string
	ParentImg         *string
	TrackMem          *bool // 15
	AutoDedup         *bool
	WorkDirFd         *int32
	LinkRemap         *bool // 18
	ExtMnt            []*ExtMountMap
	ManageCgroups     *bool // 24
	CgRoot            []*CgroupRoot
	RstSibling        *bool
	InheritFd         []*InheritFd // 27
	ManageCgroupsMode *CriuCgMode  // 34
	External          []string     // 37
	EmptyNs           *uint32
	JoinNs            []*JoinNamespace
	FreezeCgroup      *string // 44
	TcpSkipInFlight   *bool   // 46
	LazyPages         *bool   // 48
	StatusFd          *int32
	OrphanPtsMaster   *bool
	ConfigFile        *string // 51
	LsmProfile        *string // 53
	LsmMountContext   *string // 63
}

// CriuPageServerInfo is criu_page_server_info.
type CriuPageServerInfo struct {
	Address *string // 1
	Port    *int32
	Pid     *int32
	Fd      *int32
}

// ExtMountMap is ext_mount_map, an entry of --ext-mount-map.
type ExtMountMap struct {
	Key string // 1, required
	Val string // 2, required
}

// JoinNamespace is join_namespace, --join-ns.
type JoinNamespace struct {
	Ns       string  // 1, required
	NsFile   string  // 2, required
	ExtraOpt *string // 3
}

// InheritFd is inherit_fd, --inherit-fd: the restored process gets fd Fd
// of criu in place of the file recorded under Key.
type InheritFd struct {
	Key string // 1, required
	Fd  int32  // 2, required
}

// CgroupRoot is cgroup_root, --cgroup-root.
type CgroupRoot struct {
	Ctrl *string // 1
	Path string  // 2, required
}

// CriuFeatures is criu_features, asked for by FEATURE_CHECK.
type CriuFeatures struct {
	MemTrack   *bool // 1
	LazyPages  *bool
	PidfdStore *bool
}

// CriuResp is criu_resp, criu's answer or notification.
type CriuResp struct {
	Type     CriuReqType         // 1, required
	Success  bool                // 2, required
	Dump     *CriuDumpResp       // 3
	Restore  *CriuRestoreResp    // 4
	Notify   *CriuNotify         // 5
	Ps       *CriuPageServerInfo // 6
	CrErrno  *int32              // 7
	Features *CriuFeatures       // 8
	CrErrmsg *string             // 9
	Version  *CriuVersion        // 10
	Status   *int32              // 11
}

// CriuDumpResp is criu_dump_resp.
type CriuDumpResp struct {
	Restored *bool // 1
}

// CriuRestoreResp is criu_restore_resp.
type CriuRestoreResp struct {
	Pid int32 // 1, required
}

// CriuNotify is criu_notify, a notification ("action script").
type CriuNotify struct {
	Script *string // 1
	Pid    *int32  // 2
}

// CriuVersion is criu_version, the answer to VERSION.
type CriuVersion struct {
	MajorNumber int32   // 1, required
	MinorNumber int32   // 2, required
	Gitid       *string // 3
	Sublevel    *int32  // 4
	Extra       *int32  // 5
	Name        *string // 6
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// Getters of the answer, nil-safe as in generated code.

func (r *CriuResp) GetCrErrno() int32 {
	if r == nil {
		return 0
	}
	return deref(r.CrErrno)
}

func (r *CriuResp) GetCrErrmsg() string {
	if r == nil {
		return ""
	}
	return deref(r.CrErrmsg)
}

func (r *CriuResp) GetRestore() *CriuRestoreResp {
	if r == nil {
		return nil
	}
	return r.Restore
}

func (r *CriuResp) GetNotify() *CriuNotify {
	if r == nil {
		return nil
	}
	return r.Notify
}

func (r *CriuResp) GetFeatures() *CriuFeatures {
	if r == nil {
		return nil
	}
	return r.Features
}

func (r *CriuResp) GetVersion() *CriuVersion {
	if r == nil {
		return nil
	}
	return r.Version
}

func (r *CriuRestoreResp) GetPid() int32 {
	if r == nil {
		return 0
	}
	return r.Pid
}

func (n *CriuNotify) GetScript() string {
	if n == nil {
		return ""
	}
	return deref(n.Script)
}

func (n *CriuNotify) GetPid() int32 {
	if n == nil {
		return 0
	}
	return deref(n.Pid)
}

func (f *CriuFeatures) GetMemTrack() bool {
	if f == nil {
		return false
	}
	return deref(f.MemTrack)
}

func (f *CriuFeatures) GetLazyPages() bool {
	if f == nil {
		return false
	}
	return deref(f.LazyPages)
}

package rpc

// The field numbers are rpc.proto's.

func (r *CriuReq) required() uint64 { return 1 << 1 }

func (r *CriuReq) marshal(e *encoder) {
	e.int32(1, int32(r.Type))
	if r.Opts != nil {
		e.message(2, r.Opts)
	}
	e.optBool(3, r.NotifySuccess)
	e.optBool(4, r.KeepOpen)
	if r.Features != nil {
		e.message(5, r.Features)
	}
	e.optUint32(6, r.Pid)
}

func (r *CriuReq) field(f *field) (err error) {
	switch f.num {
	case 1:
		var t int32
		t, err = f.int32()
		r.Type = CriuReqType(t)
	case 2:
		if r.Opts == nil {
			r.Opts = &CriuOpts{}
		}
		err = f.message(r.Opts)
	case 3:
		r.NotifySuccess, err = f.optBool()
	case 4:
		r.KeepOpen, err = f.optBool()
	case 5:
		if r.Features == nil {
			r.Features = &CriuFeatures{}
		}
		err = f.message(r.Features)
	case 6:
		r.Pid, err = f.optUint32()
	}
	return err
}

func (o *CriuOpts) required() uint64 { return 1 << 1 }

func (o *CriuOpts) marshal(e *encoder) {
	e.int32(1, o.ImagesDirFd)
	e.optInt32(2, o.Pid)
	e.optBool(3, o.LeaveRunning)
	e.optBool(4, o.ExtUnixSk)
	e.optBool(5, o.TcpEstablished)
	e.optBool(6, o.EvasiveDevices)
	e.optBool(7, o.ShellJob)
	e.optBool(8, o.FileLocks)
	e.optInt32(9, o.LogLevel)
	e.optString(10, o.LogFile)
	if o.Ps != nil {
		e.message(11, o.Ps)
	}
	e.optBool(12, o.NotifyScripts)
	e.optString(13, o.Root)
	e.optString(14, o.ParentImg)
	e.optBool(15, o.TrackMem)
	e.optBool(16, o.AutoDedup)
	e.optInt32(17, o.WorkDirFd)
	e.optBool(18, o.LinkRemap)
	for _, m := range o.ExtMnt {
		e.message(23, m)
	}
	e.optBool(24, o.ManageCgroups)
	for _, c := range o.CgRoot {
		e.message(25, c)
	}
	e.optBool(26, o.RstSibling)
	for _, i := range o.InheritFd {
		e.message(27, i)
	}
	if o.ManageCgroupsMode != nil {
		e.int32(34, int32(*o.ManageCgroupsMode))
	}
	e.strings(37, o.External)
	e.optUint32(38, o.EmptyNs)
	for _, j := range o.JoinNs {
		e.message(39, j)
	}
	e.optString(44, o.FreezeCgroup)
	e.optBool(46, o.TcpSkipInFlight)
	e.optBool(48, o.LazyPages)
	e.optInt32(49, o.StatusFd)
	e.optBool(50, o.OrphanPtsMaster)
	e.optString(51, o.ConfigFile)
	e.optString(53, o.LsmProfile)
	e.optString(63, o.LsmMountContext)
}

func (o *CriuOpts) field(f *field) (err error) {
	switch f.num {
	case 1:
		o.ImagesDirFd, err = f.int32()
	case 2:
		o.Pid, err = f.optInt32()
	case 3:
		o.LeaveRunning, err = f.optBool()
	case 4:
		o.ExtUnixSk, err = f.optBool()
	case 5:
		o.TcpEstablished, err = f.optBool()
	case 6:
		o.EvasiveDevices, err = f.optBool()
	case 7:
		o.ShellJob, err = f.optBool()
	case 8:
		o.FileLocks, err = f.optBool()
	case 9:
		o.LogLevel, err = f.optInt32()
	case 10:
		o.LogFile, err = f.optString()
	case 11:
		if o.Ps == nil {
			o.Ps = &CriuPageServerInfo{}
		}
		err = f.message(o.Ps)
	case 12:
		o.NotifyScripts, err = f.optBool()
	case 13:
		o.Root, err = f.optString()
	case 14:
		o.ParentImg, err = f.optString()
	case 15:
		o.TrackMem, err = f.optBool()
	case 16:
		o.AutoDedup, err = f.optBool()
	case 17:
		o.WorkDirFd, err = f.optInt32()
	case 18:
		o.LinkRemap, err = f.optBool()
	case 23:
		m := &ExtMountMap{}
		err = f.message(m)
		o.ExtMnt = append(o.ExtMnt, m)
	case 24:
		o.ManageCgroups, err = f.optBool()
	case 25:
		c := &CgroupRoot{}
		err = f.message(c)
		o.CgRoot = append(o.CgRoot, c)
	case 26:
		o.RstSibling, err = f.optBool()
	case 27:
		i := &InheritFd{}
		err = f.message(i)
		o.InheritFd = append(o.InheritFd, i)
	case 34:
		var m int32
		m, err = f.int32()
		o.ManageCgroupsMode = new(CriuCgMode(m))
	case 37:
		var s string
		s, err = f.string()
		o.External = append(o.External, s)
	case 38:
		o.EmptyNs, err = f.optUint32()
	case 39:
		j := &JoinNamespace{}
		err = f.message(j)
		o.JoinNs = append(o.JoinNs, j)
	case 44:
		o.FreezeCgroup, err = f.optString()
	case 46:
		o.TcpSkipInFlight, err = f.optBool()
	case 48:
		o.LazyPages, err = f.optBool()
	case 49:
		o.StatusFd, err = f.optInt32()
	case 50:
		o.OrphanPtsMaster, err = f.optBool()
	case 51:
		o.ConfigFile, err = f.optString()
	case 53:
		o.LsmProfile, err = f.optString()
	case 63:
		o.LsmMountContext, err = f.optString()
	}
	return err
}

func (p *CriuPageServerInfo) required() uint64 { return 0 }

func (p *CriuPageServerInfo) marshal(e *encoder) {
	e.optString(1, p.Address)
	e.optInt32(2, p.Port)
	e.optInt32(3, p.Pid)
	e.optInt32(4, p.Fd)
}

func (p *CriuPageServerInfo) field(f *field) (err error) {
	switch f.num {
	case 1:
		p.Address, err = f.optString()
	case 2:
		p.Port, err = f.optInt32()
	case 3:
		p.Pid, err = f.optInt32()
	case 4:
		p.Fd, err = f.optInt32()
	}
	return err
}

func (m *ExtMountMap) required() uint64 { return 1<<1 | 1<<2 }

func (m *ExtMountMap) marshal(e *encoder) {
	e.string(1, m.Key)
	e.string(2, m.Val)
}

func (m *ExtMountMap) field(f *field) (err error) {
	switch f.num {
	case 1:
		m.Key, err = f.string()
	case 2:
		m.Val, err = f.string()
	}
	return err
}

func (j *JoinNamespace) required() uint64 { return 1<<1 | 1<<2 }

func (j *JoinNamespace) marshal(e *encoder) {
	e.string(1, j.Ns)
	e.string(2, j.NsFile)
	e.optString(3, j.ExtraOpt)
}

func (j *JoinNamespace) field(f *field) (err error) {
	switch f.num {
	case 1:
		j.Ns, err = f.string()
	case 2:
		j.NsFile, err = f.string()
	case 3:
		j.ExtraOpt, err = f.optString()
	}
	return err
}

func (i *InheritFd) required() uint64 { return 1<<1 | 1<<2 }

func (i *InheritFd) marshal(e *encoder) {
	e.string(1, i.Key)
	e.int32(2, i.Fd)
}

func (i *InheritFd) field(f *field) (err error) {
	switch f.num {
	case 1:
		i.Key, err = f.string()
	case 2:
		i.Fd, err = f.int32()
	}
	return err
}

func (c *CgroupRoot) required() uint64 { return 1 << 2 }

func (c *CgroupRoot) marshal(e *encoder) {
	e.optString(1, c.Ctrl)
	e.string(2, c.Path)
}

func (c *CgroupRoot) field(f *field) (err error) {
	switch f.num {
	case 1:
		c.Ctrl, err = f.optString()
	case 2:
		c.Path, err = f.string()
	}
	return err
}

func (c *CriuFeatures) required() uint64 { return 0 }

func (c *CriuFeatures) marshal(e *encoder) {
	e.optBool(1, c.MemTrack)
	e.optBool(2, c.LazyPages)
	e.optBool(3, c.PidfdStore)
}

func (c *CriuFeatures) field(f *field) (err error) {
	switch f.num {
	case 1:
		c.MemTrack, err = f.optBool()
	case 2:
		c.LazyPages, err = f.optBool()
	case 3:
		c.PidfdStore, err = f.optBool()
	}
	return err
}

func (r *CriuResp) required() uint64 { return 1<<1 | 1<<2 }

func (r *CriuResp) marshal(e *encoder) {
	e.int32(1, int32(r.Type))
	e.bool(2, r.Success)
	if r.Dump != nil {
		e.message(3, r.Dump)
	}
	if r.Restore != nil {
		e.message(4, r.Restore)
	}
	if r.Notify != nil {
		e.message(5, r.Notify)
	}
	if r.Ps != nil {
		e.message(6, r.Ps)
	}
	e.optInt32(7, r.CrErrno)
	if r.Features != nil {
		e.message(8, r.Features)
	}
	e.optString(9, r.CrErrmsg)
	if r.Version != nil {
		e.message(10, r.Version)
	}
	e.optInt32(11, r.Status)
}

func (r *CriuResp) field(f *field) (err error) {
	switch f.num {
	case 1:
		var t int32
		t, err = f.int32()
		r.Type = CriuReqType(t)
	case 2:
		r.Success, err = f.bool()
	case 3:
		if r.Dump == nil {
			r.Dump = &CriuDumpResp{}
		}
		err = f.message(r.Dump)
	case 4:
		if r.Restore == nil {
			r.Restore = &CriuRestoreResp{}
		}
		err = f.message(r.Restore)
	case 5:
		if r.Notify == nil {
			r.Notify = &CriuNotify{}
		}
		err = f.message(r.Notify)
	case 6:
		if r.Ps == nil {
			r.Ps = &CriuPageServerInfo{}
		}
		err = f.message(r.Ps)
	case 7:
		r.CrErrno, err = f.optInt32()
	case 8:
		if r.Features == nil {
			r.Features = &CriuFeatures{}
		}
		err = f.message(r.Features)
	case 9:
		r.CrErrmsg, err = f.optString()
	case 10:
		if r.Version == nil {
			r.Version = &CriuVersion{}
		}
		err = f.message(r.Version)
	case 11:
		r.Status, err = f.optInt32()
	}
	return err
}

func (d *CriuDumpResp) required() uint64 { return 0 }

func (d *CriuDumpResp) marshal(e *encoder) { e.optBool(1, d.Restored) }

func (d *CriuDumpResp) field(f *field) (err error) {
	if f.num == 1 {
		d.Restored, err = f.optBool()
	}
	return err
}

func (r *CriuRestoreResp) required() uint64 { return 1 << 1 }

func (r *CriuRestoreResp) marshal(e *encoder) { e.int32(1, r.Pid) }

func (r *CriuRestoreResp) field(f *field) (err error) {
	if f.num == 1 {
		r.Pid, err = f.int32()
	}
	return err
}

func (n *CriuNotify) required() uint64 { return 0 }

func (n *CriuNotify) marshal(e *encoder) {
	e.optString(1, n.Script)
	e.optInt32(2, n.Pid)
}

func (n *CriuNotify) field(f *field) (err error) {
	switch f.num {
	case 1:
		n.Script, err = f.optString()
	case 2:
		n.Pid, err = f.optInt32()
	}
	return err
}

func (v *CriuVersion) required() uint64 { return 1<<1 | 1<<2 }

func (v *CriuVersion) marshal(e *encoder) {
	e.int32(1, v.MajorNumber)
	e.int32(2, v.MinorNumber)
	e.optString(3, v.Gitid)
	e.optInt32(4, v.Sublevel)
	e.optInt32(5, v.Extra)
	e.optString(6, v.Name)
}

func (v *CriuVersion) field(f *field) (err error) {
	switch f.num {
	case 1:
		v.MajorNumber, err = f.int32()
	case 2:
		v.MinorNumber, err = f.int32()
	case 3:
		v.Gitid, err = f.optString()
	case 4:
		v.Sublevel, err = f.optInt32()
	case 5:
		v.Extra, err = f.optInt32()
	case 6:
		v.Name, err = f.optString()
	}
	return err
}

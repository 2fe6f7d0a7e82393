package cri

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	goruntime "runtime"
	"sort"
	"syscall"
	"time"
)

// The images critest v1.37.0 and the crictl scenarios pull, rebuilt from
// the busybox rootfs after cri-tools' own recipes (its images/ directory:
// image-test, image-user, image-predefined-group and images/build), with
// stand-ins where the upstream image is not busybox:
//
//   - pause (the sandbox image, and the two pause:3.9 names critest pulls
//     as one image from two registries): tests/cmd/pause, run as 65535;
//   - nonewprivs: tests/cmd/nnp, setuid root;
//   - nginx and hostnet-nginx: tests/cmd/nginx (nginx's PID file, process
//     name and title, a page on the port the upstream image listens on;
//     hostnet-nginx on 127.0.0.1 only, as it runs in the host's network
//     namespace); httpd: busybox httpd on port 80;
//   - ipcs -m and pgrep, which the busybox image has and Debian's
//     busybox-static lacks: shell stand-ins in every busybox image.
//
// One image critest pulls cannot be rebuilt: test-image-digest is pulled
// by the digest of the upstream manifest (its test is skipped by name).

const (
	criToolsRegistry = "gcr.io/k8s-staging-cri-tools/"
	e2eRegistry      = "registry.k8s.io/e2e-test-images/"
	// sandboxImage is containerd 2.4's default pinned sandbox image.
	sandboxImage = "registry.k8s.io/pause:3.10.2"
	// crictlImage is the image of the crictl scenarios.
	crictlImage = e2eRegistry + "busybox:1.29-2"
)

// busyboxPasswd and busyboxGroup are /etc/passwd and /etc/group of the
// busybox image the recipes start from (www-data is the user the
// image-user recipes name).
const busyboxPasswd = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`

const busyboxGroup = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
netdev:x:82:
users:x:100:
nogroup:x:65534:
`

// imageConfig is the part of an OCI image configuration the recipes set.
type imageConfig struct {
	User       string            `json:"User,omitempty"`
	Env        []string          `json:"Env,omitempty"`
	Entrypoint []string          `json:"Entrypoint,omitempty"`
	Cmd        []string          `json:"Cmd,omitempty"`
	WorkingDir string            `json:"WorkingDir,omitempty"`
	Labels     map[string]string `json:"Labels,omitempty"`
}

// file is one entry of a layer.
type file struct {
	name     string // relative, no leading slash
	mode     int64
	uid, gid int
	data     []byte
	dir      bool
	link     string // symlink target
	hardlink string // hard link target (a path in the layer)
}

// image is one image of the registry: its layers (each a list of files)
// and configuration, under one or more references.
type image struct {
	refs   []string
	layers [][]file
	config imageConfig
}

var defaultPath = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}

// testImages returns every image of the run, built on the busybox rootfs
// at rootfs, with the stand-in programs bins (pause, nginx: their paths).
func testImages(rootfs string, bins map[string]string) ([]image, error) {
	base, err := busyboxLayer(rootfs)
	if err != nil {
		return nil, err
	}
	pause, err := os.ReadFile(bins["pause"])
	if err != nil {
		return nil, fmt.Errorf("pause binary: %w", err)
	}
	nginx, err := os.ReadFile(bins["nginx"])
	if err != nil {
		return nil, fmt.Errorf("nginx binary: %w", err)
	}
	nnp, err := os.ReadFile(bins["nnp"])
	if err != nil {
		return nil, fmt.Errorf("nnp binary: %w", err)
	}
	busybox := func(refs []string, extra []file, cfg imageConfig) image {
		cfg.Env = defaultPath
		if cfg.Cmd == nil && cfg.Entrypoint == nil {
			cfg.Cmd = []string{"sh"}
		}
		layers := [][]file{base}
		if extra != nil {
			layers = append(layers, extra)
		}
		return image{refs: refs, layers: layers, config: cfg}
	}
	nginxImage := func(ref, listen string) image {
		return busybox([]string{ref}, []file{{name: "usr/sbin/nginx", mode: 0o755, data: nginx}},
			imageConfig{Entrypoint: []string{"/usr/sbin/nginx", "-listen", listen}})
	}
	imgs := []image{
		pauseImage(pause, "3.10.2", sandboxImage),
		// one image in two registries
		pauseImage(pause, "3.9", "registry.k8s.io/pause:3.9", "k8s.gcr.io/pause:3.9"),
		busybox([]string{crictlImage}, nil, imageConfig{}),
		nginxImage(e2eRegistry+"nginx:1.14-2", ":80"),
		nginxImage(criToolsRegistry+"hostnet-nginx-"+goruntime.GOARCH+":latest", "127.0.0.1:12003"),
		busybox([]string{e2eRegistry + "httpd:2.4.39-4"}, []file{
			{name: "usr/local/apache2/htdocs", mode: 0o755, dir: true},
			{name: "usr/local/apache2/htdocs/index.html", mode: 0o644, data: []byte("<html><body><h1>It works!</h1></body></html>\n")},
		}, imageConfig{Cmd: []string{"sh", "-c", `echo "httpd: serving /usr/local/apache2/htdocs on port 80"; exec httpd -f -p 80 -h /usr/local/apache2/htdocs`}}),
		// e2e-test-images/nonewprivs: a setuid-root program printing its
		// effective UID
		busybox([]string{e2eRegistry + "nonewprivs:1.3"}, []file{
			{name: "usr/local/bin/nnp", mode: 0o4755, data: nnp},
		}, imageConfig{Entrypoint: []string{"/usr/local/bin/nnp"}}),
		// image-predefined-group: adduser -u 1000 -D default-user,
		// addgroup -g 50000 group-defined-in-image, the user in it.
		busybox([]string{criToolsRegistry + "test-image-predefined-group:latest"}, []file{
			{name: "etc/passwd", mode: 0o644, data: []byte(busyboxPasswd + "default-user:x:1000:1000:Linux User,,,:/home/default-user:/bin/sh\n")},
			{name: "etc/group", mode: 0o644, data: []byte(busyboxGroup + "default-user:x:1000:\ngroup-defined-in-image:x:50000:default-user\n")},
			{name: "home/default-user", mode: 0o755, uid: 1000, gid: 1000, dir: true},
		}, imageConfig{User: "1000"}),
	}
	// image-user, with the users of images/build.
	for name, user := range map[string]string{
		"test-image-user-uid":            "1002",
		"test-image-user-username":       "www-data",
		"test-image-user-uid-group":      "1003:1004",
		"test-image-user-username-group": "www-data:1004",
	} {
		imgs = append(imgs, busybox([]string{criToolsRegistry + name + ":latest"}, nil, imageConfig{User: user}))
	}
	// image-test: busybox with an empty file named after the image
	// (ADD ${TEST} ${TEST}); test-image-tags is one image under 3 tags.
	for name, tags := range map[string][]string{
		"test-image-1":      {"latest"},
		"test-image-2":      {"latest"},
		"test-image-3":      {"latest"},
		"test-image-latest": {"latest"},
		"test-image-tag":    {"test", "all"},
		"test-image-tags":   {"1", "2", "3"},
	} {
		var refs []string
		for _, tag := range tags {
			refs = append(refs, criToolsRegistry+name+":"+tag)
		}
		imgs = append(imgs, busybox(refs, []file{{name: name, mode: 0o644}}, imageConfig{}))
	}
	sort.Slice(imgs, func(i, j int) bool { return imgs[i].refs[0] < imgs[j].refs[0] })
	return imgs, nil
}

// pauseImage is the pause image of a version (its label), under refs.
func pauseImage(pause []byte, version string, refs ...string) image {
	return image{
		refs:   refs,
		layers: [][]file{{{name: "pause", mode: 0o755, data: pause}}},
		config: imageConfig{
			User: "65535:65535", Env: defaultPath, Entrypoint: []string{"/pause"},
			Labels: map[string]string{"org.opencontainers.image.version": version},
		},
	}
}

// busyboxLayer is the busybox rootfs at root as a layer, with the busybox
// image's /etc/passwd and /etc/group instead of the rootfs' own (which has
// a uid-1000 user the recipes add themselves).
func busyboxLayer(root string) ([]file, error) {
	var files, links []file
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || rel == "." {
			return err
		}
		switch rel {
		case "etc/passwd", "etc/group":
			return nil
		case "home/user":
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		st := info.Sys().(*syscall.Stat_t)
		f := file{name: rel, mode: int64(info.Mode().Perm()), uid: int(st.Uid), gid: int(st.Gid)}
		if info.Mode()&fs.ModeSticky != 0 {
			f.mode |= 0o1000
		}
		switch {
		case info.IsDir():
			f.dir = true
		case info.Mode()&fs.ModeSymlink != 0:
			if f.link, err = os.Readlink(path); err != nil {
				return err
			}
			// The busybox image's applets are hard links to it (critest
			// masks /bin/ls and expects sh to find it denied).
			if f.link == "busybox" && filepath.Dir(rel) == "bin" {
				f.link, f.hardlink = "", "bin/busybox"
				links = append(links, f) // after their target
				return nil
			}
		case info.Mode().IsRegular():
			if f.data, err = os.ReadFile(path); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: not a directory, symlink or regular file", path)
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("busybox rootfs: %w", err)
	}
	files = append(files, links...)
	files = append(files,
		file{name: "etc/passwd", mode: 0o644, data: []byte(busyboxPasswd)},
		file{name: "etc/group", mode: 0o644, data: []byte(busyboxGroup)},
		file{name: "var/www", mode: 0o755, dir: true},
		file{name: "bin/ipcs", mode: 0o755, data: []byte(ipcsScript)},
		file{name: "bin/pgrep", mode: 0o755, data: []byte(pgrepScript)})
	return files, nil
}

// ipcsScript is `ipcs -m` (the System V shared memory segments, as the
// busybox applet lists them), which Debian's busybox-static lacks.
const ipcsScript = `#!/bin/sh
# a stand-in for busybox's ipcs: -m only
[ "$1" = -m ] || { echo "ipcs: only -m" >&2; exit 1; }
echo
echo "------ Shared Memory Segments --------"
echo "key        shmid      owner      perms      bytes      nattch     status"
while read -r key shmid perms size cpid lpid nattch uid rest; do
	[ "$key" = key ] && continue
	printf "0x%08x %-10s %-10s %-10s %-10s %-10s\n" "$key" "$shmid" "$uid" "$perms" "$size" "$nattch"
done < /proc/sysvipc/shm
echo
`

// pgrepScript is `pgrep PATTERN` (the PIDs whose process name matches),
// which Debian's busybox-static lacks.
const pgrepScript = `#!/bin/sh
# a stand-in for busybox's pgrep: pgrep PATTERN
[ $# = 1 ] || { echo "usage: pgrep PATTERN" >&2; exit 2; }
rc=1
for d in /proc/[0-9]*; do
	pid=${d#/proc/}
	[ "$pid" = $$ ] && continue
	read -r name < "$d/comm" 2>/dev/null || continue
	if echo "$name" | grep -q -e "$1"; then
		echo "$pid"
		rc=0
	fi
done
exit $rc
`

// layerTime is every file's mtime and the images' creation time: the same
// recipe gives the same digests in every run.
var layerTime = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// blob is one blob of an image: its bytes and descriptor.
type blob struct {
	mediaType string
	data      []byte
}

func (b blob) digest() string {
	sum := sha256.Sum256(b.data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func (b blob) descriptor() map[string]any {
	return map[string]any{"mediaType": b.mediaType, "digest": b.digest(), "size": len(b.data)}
}

// build returns the image's blobs (layers, then the configuration) and
// its OCI manifest.
func (img image) build() (blobs []blob, manifest []byte, err error) {
	var diffIDs []string
	var layerDescs []map[string]any
	for _, files := range img.layers {
		tarData, err := tarFiles(files)
		if err != nil {
			return nil, nil, err
		}
		sum := sha256.Sum256(tarData)
		diffIDs = append(diffIDs, "sha256:"+hex.EncodeToString(sum[:]))
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
		zw.ModTime = layerTime
		zw.Write(tarData)
		if err := zw.Close(); err != nil {
			return nil, nil, err
		}
		b := blob{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", data: gz.Bytes()}
		blobs = append(blobs, b)
		layerDescs = append(layerDescs, b.descriptor())
	}
	config, err := json.Marshal(map[string]any{
		"created":      layerTime,
		"architecture": goruntime.GOARCH,
		"os":           "linux",
		"config":       img.config,
		"rootfs":       map[string]any{"type": "layers", "diff_ids": diffIDs},
		"history":      []map[string]any{{"created": layerTime, "created_by": "tests/cri (after cri-tools' images/)"}},
	})
	if err != nil {
		return nil, nil, err
	}
	cb := blob{mediaType: "application/vnd.oci.image.config.v1+json", data: config}
	blobs = append(blobs, cb)
	manifest, err = json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        cb.descriptor(),
		"layers":        layerDescs,
	})
	return blobs, manifest, err
}

// tarFiles writes files as an uncompressed tar, directories created as
// the paths need them.
func tarFiles(files []file) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		hdr := &tar.Header{
			Name: f.name, Mode: f.mode, Uid: f.uid, Gid: f.gid,
			ModTime: layerTime, Format: tar.FormatPAX,
		}
		switch {
		case f.dir:
			hdr.Typeflag, hdr.Name = tar.TypeDir, f.name+"/"
		case f.link != "":
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, f.link
		case f.hardlink != "":
			hdr.Typeflag, hdr.Linkname = tar.TypeLink, f.hardlink
		default:
			hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(f.data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("layer: %s: %w", f.name, err)
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := tw.Write(f.data); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

package cri

import (
	"bytes"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/registry"
)

// imageRegistry is the registry of this run: go-containerregistry's
// in-memory registry on 127.0.0.1, holding testImages. containerd's
// hosts.toml sends every registry name here (_default, no fallback); as a
// mirror, containerd names the registry it stands for in the "ns" query
// parameter, and the handler puts that name in front of the repository,
// so that gcr.io/x and registry.k8s.io/x are two repositories here.
type imageRegistry struct {
	addr string // host:port
	srv  *http.Server
	ln   net.Listener

	mu     sync.Mutex
	misses []string // repositories or references asked for and not found
}

func startRegistry(images []image, logPath string) (*imageRegistry, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	h := registry.New(registry.Logger(log.New(logf, "", log.LstdFlags)))
	// Fill it through the handler itself: blobs by monolithic upload,
	// then each reference's manifest.
	for _, img := range images {
		blobs, manifest, err := img.build()
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", img.refs[0], err)
		}
		for _, ref := range img.refs {
			repo, tag := splitRef(ref)
			for _, b := range blobs {
				if err := put(h, http.MethodPost, "/v2/"+repo+"/blobs/uploads/?digest="+b.digest(), "", b.data); err != nil {
					return nil, fmt.Errorf("image %s: blob: %w", ref, err)
				}
			}
			if err := put(h, http.MethodPut, "/v2/"+repo+"/manifests/"+tag, "application/vnd.oci.image.manifest.v1+json", manifest); err != nil {
				return nil, fmt.Errorf("image %s: manifest: %w", ref, err)
			}
		}
	}
	r := &imageRegistry{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r.ln, r.addr = ln, ln.Addr().String()
	r.srv = &http.Server{Handler: r.handler(h), ErrorLog: log.New(logf, "", log.LstdFlags)}
	go r.srv.Serve(ln)
	return r, nil
}

// handler prefixes the repository with the "ns" parameter and notes the
// requests it could not serve.
func (r *imageRegistry) handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if ns := req.URL.Query().Get("ns"); ns != "" && strings.HasPrefix(req.URL.Path, "/v2/") && req.URL.Path != "/v2/" {
			req.URL.Path = "/v2/" + ns + "/" + strings.TrimPrefix(req.URL.Path, "/v2/")
			req.URL.RawPath = ""
		}
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, req)
		if rec.status == http.StatusNotFound {
			r.mu.Lock()
			r.misses = append(r.misses, req.Method+" "+req.URL.Path)
			r.mu.Unlock()
		}
	})
}

func (r *imageRegistry) stop() { r.srv.Close() }

// missed returns the requests that found nothing.
func (r *imageRegistry) missed() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.misses...)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// splitRef splits "host/path:tag" into the registry's repository
// "host/path" and the tag.
func splitRef(ref string) (repo, tag string) {
	i := strings.LastIndex(ref, ":")
	if i < 0 || strings.Contains(ref[i:], "/") {
		return ref, "latest"
	}
	return ref[:i], ref[i+1:]
}

// put sends one request to the registry's handler, in process.
func put(h http.Handler, method, url, contentType string, body []byte) error {
	req := httptest.NewRequest(method, url, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, url, rec.Code, rec.Body.String())
	}
	return nil
}

// hostsToml is containerd's registry host configuration sending every
// registry to r over plain HTTP (the _default namespace, server only: no
// upstream is ever tried).
func (r *imageRegistry) hostsToml() string {
	return fmt.Sprintf("server = %q\n", "http://"+r.addr)
}

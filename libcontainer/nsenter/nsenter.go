// Package nsenter holds the C stage that runs in `runc init` before the Go
// runtime starts. Importing it (for its side effect) installs a constructor
// that, when the process was started as a container init by the runtime,
// reads the bootstrap message from the init socket, joins and creates the
// container's namespaces, and forks the process that becomes the container
// init. Everything that can be done later in Go is done later in Go.
package nsenter

/*
#cgo CFLAGS: -Wall -Wextra -O2
extern void nsexec(void);
extern int drop_binary_pages(void);
void __attribute__((constructor)) init(void) {
	nsexec();
}
*/
import "C"

// DropBinaryPages takes runc's code and read-only data out of this
// process's page tables (they stay in the page cache): a created
// container's init calls it before it waits for `runc start` (segments.c).
func DropBinaryPages() {
	C.drop_binary_pages()
}

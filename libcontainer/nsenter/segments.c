/*
 * The pages of runc's read-only segments (code, read-only data) in this
 * process's page tables. They are the page cache's, shared by every runc:
 * neither function reads from disk what was not already cached, nor loses
 * anything (these segments are never written; writable data, relocated
 * data included, is in a PF_W segment, left alone), and a failure changes
 * nothing.
 *
 * prefault_binary maps them in one madvise(MADV_POPULATE_READ) (Linux
 * 5.14) per segment, instead of one page fault at a time as the Go
 * runtime and the package initialisers first touch them: runc --version
 * 11.2 ms to 9.9 on a host where a fault cost ~11 us (hyperfine, 200
 * runs), when runc linked this stage. nsexec calls it in every process
 * that goes on to start the Go runtime: the container's init after the
 * fork (which does not copy file-backed page tables) and a runc built
 * without the embedded init; not runc init's stage 0, which only runs
 * the C stage and exits. runc's own build links no C (Makefile).
 *
 * drop_binary_pages takes them out (MADV_DONTNEED) before a created
 * container's init waits for `runc start` (DropBinaryPages): what the
 * wait and the start touch comes back on a fault.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <stddef.h>
#include <sys/mman.h>

#include "nsenter.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

static int advise_segments(struct dl_phdr_info *info, size_t size, void *advice)
{
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		if (p->p_type != PT_LOAD || (p->p_flags & PF_W))
			continue;
		unsigned long start = (info->dlpi_addr + p->p_vaddr) & ~4095UL;
		unsigned long end = (info->dlpi_addr + p->p_vaddr + p->p_memsz + 4095) & ~4095UL;
		madvise((void *)start, end - start, *(int *)advice);
	}
	return 1; /* the main program only: it comes first */
}

void prefault_binary(void)
{
	int advice = MADV_POPULATE_READ;
	dl_iterate_phdr(advise_segments, &advice);
}

int drop_binary_pages(void)
{
	int advice = MADV_DONTNEED;
	return dl_iterate_phdr(advise_segments, &advice);
}

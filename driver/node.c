// SPDX-License-Identifier: GPL-2.0
/*
 * The device nodes /dev/ldm/<domain>.
 *
 * An emulator maps guest RAM from the node:
 *   -object memory-backend-file,mem-path=/dev/ldm/<domain>,share=on,size=...
 * lseek(SEEK_END) gives the size; mmap(MAP_SHARED) maps the pages.
 *
 * Pages are handed to the fault handler one at a time (vmf->page), never
 * inserted at mmap time: a PTE is first installed read-only (the VMA has a
 * page_mkwrite handler, so the core write-protects shared mappings), and
 * the first write to each page goes through page_mkwrite, which is where
 * dirty tracking sees it. No VM_PFNMAP/VM_MIXEDMAP: these are ordinary
 * refcounted pages.
 *
 * Every open file of a domain uses the domain's own inode mapping
 * (filp->f_mapping), as DRM does, so all VMAs of the domain sit in one
 * address_space and one wp_shared_mapping_range() re-arms them all. The
 * inodes, the device numbers and the class are devnode.c's.
 *
 * Who may do what through a node (the node is root-only, 0600):
 *  - any open file maps guest RAM (an emulator's does just that);
 *  - the file that owns the domain's migration session (the one named
 *    when it started, see session.c) maps, polls and kicks its ring and
 *    runs LDM_IOC_APPLIED and LDM_IOC_RESEND_SKIP; any other file gets
 *    EPERM, or ENODEV without a session;
 *  - LDM_IOC_HARVEST works on any file, but only while the domain has no
 *    session: a session's rounds own the dirty bits (EBUSY).
 */

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/task_work.h>

#include <uapi/linux/ldm.h>

#include "devnode.h"
#include "dirty.h"
#include "domain.h"
#include "node.h"
#include "postcopy.h"
#include "receive.h"
#include "ring.h"
#include "send.h"
#include "session.h"
#include "throttle.h"

/*
 * Post-copy: a fault on a page that has not arrived asks for it (poll()
 * on the session's file wakes with EPOLLPRI) and waits for it, never for
 * a zero page. A fault that may drop the mmap lock waits without it and
 * has the core fault again (VM_FAULT_RETRY), as userfaultfd's faults do,
 * so that the emulator's other threads can still map and unmap; the
 * domain is held across, since the VMA may go meanwhile. Return: 0 once
 * the page is there with the lock still held, VM_FAULT_RETRY, or
 * VM_FAULT_SIGBUS for a waiter killed while holding the lock.
 */
static vm_fault_t ldm_vm_fault_missing(struct ldm_domain *dom,
				       struct ldm_postcopy *pc,
				       struct vm_fault *vmf)
{
	if (ldm_postcopy_ask(pc, vmf->pgoff))
		wake_up_interruptible_poll(&dom->poll_wq, EPOLLPRI);
	if (!(vmf->flags & FAULT_FLAG_ALLOW_RETRY))
		return ldm_postcopy_wait(pc, vmf->pgoff) ? VM_FAULT_SIGBUS : 0;
	if (vmf->flags & FAULT_FLAG_RETRY_NOWAIT)
		return VM_FAULT_RETRY;
	kref_get(&dom->ref);
	mmap_read_unlock(vmf->vma->vm_mm);
	ldm_postcopy_wait(pc, vmf->pgoff);
	ldm_domain_put(dom);
	return VM_FAULT_RETRY;
}

static vm_fault_t ldm_vm_fault(struct vm_fault *vmf)
{
	struct ldm_domain *dom = vmf->vma->vm_private_data;
	struct ldm_postcopy *pc = ldm_domain_postcopy(dom);
	struct page *page;
	vm_fault_t ret;

	if (vmf->pgoff >= dom->npages)
		return VM_FAULT_SIGBUS;
	if (pc && ldm_postcopy_missing(pc, vmf->pgoff)) {
		ret = ldm_vm_fault_missing(dom, pc, vmf);
		if (ret)
			return ret;
	}

	page = ldm_mem_get_page(&dom->mem, vmf->pgoff);
	if (IS_ERR(page)) {
		/*
		 * SIGBUS, not VM_FAULT_OOM: that would retry the fault for
		 * ever, and the OOM killer would free nothing (mem.c).
		 */
		pr_warn_ratelimited("ldm: %s: cannot allocate guest page %lu: no memory left in the memory cgroup that created it, or in the system\n",
				    dom->name, vmf->pgoff);
		return VM_FAULT_SIGBUS;
	}

	get_page(page);
	vmf->page = page;
	return 0;
}

/* A delay the dirty limit gave a writer, paid on its way back to user space. */
struct ldm_throttle_wait {
	struct callback_head work;
	struct ldm_domain *dom;		/* a reference, dropped after the wait */
	u64 ns;
	int gen;
};

static void ldm_throttle_work(struct callback_head *work)
{
	struct ldm_throttle_wait *w =
		container_of(work, struct ldm_throttle_wait, work);

	ldm_throttle_sleep(&w->dom->throttle, w->gen, w->ns);
	ldm_domain_put(w->dom);
	kfree(w);
}

/*
 * Charge a write fault to the domain's dirty limit (throttle.c). The
 * fault holds the mmap lock and the page lock, so the writer does not
 * sleep here but in task work, when it returns to user space holding
 * nothing. Kernel threads and io_uring workers, which never get there,
 * are not slowed; nor is a writer when the memory for its wait is short.
 * A syscall that faults on many pages queues one wait per page: they are
 * charged to the writer's memory cgroup, as its own doing.
 */
static void ldm_vm_throttle(struct ldm_domain *dom)
{
	struct ldm_throttle_wait *w;
	int gen = 0;
	u64 ns;

	if (current->flags & (PF_KTHREAD | PF_IO_WORKER))
		return;
	ns = ldm_throttle_charge(&dom->throttle, &gen);
	if (!ns)
		return;
	w = kmalloc(sizeof(*w), GFP_NOWAIT | __GFP_ACCOUNT | __GFP_NOWARN);
	if (!w)
		return;
	init_task_work(&w->work, ldm_throttle_work);
	w->dom = dom;
	w->ns = ns;
	w->gen = gen;
	/* The mapping pins the domain; the wait outlives the fault. */
	kref_get(&dom->ref);
	if (task_work_add(current, &w->work, TWA_RESUME)) {
		/* Exiting: nothing left to slow. Not the last reference. */
		ldm_domain_put(dom);
		kfree(w);
	}
}

/*
 * These pages have no ->mapping, so the core cannot tell whether a page
 * it would lock itself was truncated meanwhile and would retry the fault
 * for ever: lock it here and say so with VM_FAULT_LOCKED. The core keeps it
 * locked until the writable PTE is in place (see dirty.c).
 *
 * While the domain is suspended the writer waits here, killably; a killed
 * writer gets SIGBUS (it is dying anyway), and a kernel access -EFAULT.
 */
static vm_fault_t ldm_vm_page_mkwrite(struct vm_fault *vmf)
{
	struct ldm_domain *dom = vmf->vma->vm_private_data;
	struct page *page = vmf->page;

	if (ldm_domain_lock_writable(dom, page))
		return VM_FAULT_SIGBUS;
	ldm_dirty_mark(&dom->dirty, page, vmf->pgoff);
	ldm_vm_throttle(dom);
	return VM_FAULT_LOCKED;
}

static void ldm_vm_open(struct vm_area_struct *vma)
{
	struct ldm_domain *dom = vma->vm_private_data;

	atomic_inc(&dom->nr_mapped);
}

static void ldm_vm_close(struct vm_area_struct *vma)
{
	struct ldm_domain *dom = vma->vm_private_data;

	atomic_dec(&dom->nr_mapped);
}

static const struct vm_operations_struct ldm_vm_ops = {
	.open = ldm_vm_open,
	.close = ldm_vm_close,
	.fault = ldm_vm_fault,
	.page_mkwrite = ldm_vm_page_mkwrite,
};

/* The batch ring of the domain's session, at LDM_RING_OFFSET. */
static int ldm_fop_mmap_ring(struct ldm_domain *dom, struct file *file,
			     struct vm_area_struct *vma)
{
	struct ldm_session *s;
	int err;

	mutex_lock(&dom->session_lock);
	s = ldm_session_of(dom, file);
	err = IS_ERR(s) ? PTR_ERR(s) : ldm_ring_mmap(s->ring, vma);
	mutex_unlock(&dom->session_lock);
	return err;
}

static int ldm_fop_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct ldm_domain *dom = file->private_data;
	unsigned long pages = vma_pages(vma);

	if (vma->vm_pgoff == LDM_RING_OFFSET >> PAGE_SHIFT)
		return ldm_fop_mmap_ring(dom, file, vma);

	/*
	 * A private mapping would hide the guest's writes from tracking.
	 * VM_MAYSHARE, not VM_SHARED: a read-only shared mapping of a node
	 * opened read-only has only the former.
	 */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_pgoff >= dom->npages || pages > dom->npages - vma->vm_pgoff)
		return -EINVAL;

	vma->vm_flags |= VM_DONTEXPAND;
	vma->vm_private_data = dom;
	vma->vm_ops = &ldm_vm_ops;
	ldm_vm_open(vma);
	return 0;
}

static loff_t ldm_fop_llseek(struct file *file, loff_t offset, int whence)
{
	struct ldm_domain *dom = file->private_data;

	return fixed_size_llseek(file, offset, whence, dom->size);
}

static long ldm_ring_kick_ioctl(struct ldm_domain *dom, struct file *file)
{
	struct ldm_session *s;
	int err = 0;

	mutex_lock(&dom->session_lock);
	s = ldm_session_of(dom, file);
	if (IS_ERR(s))
		err = PTR_ERR(s);
	else if (s->sending)
		ldm_ring_kick(s->ring);
	else
		err = ldm_receive_kick(s);
	mutex_unlock(&dom->session_lock);
	return err;
}

static long ldm_fop_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct ldm_domain *dom = file->private_data;

	switch (cmd) {
	case LDM_IOC_HARVEST:
		return ldm_dirty_ioctl_harvest(&dom->dirty, (void __user *)arg);
	case LDM_IOC_RING_KICK:
		return ldm_ring_kick_ioctl(dom, file);
	case LDM_IOC_APPLIED:
		return ldm_receive_ioctl_applied(dom, file, (void __user *)arg);
	case LDM_IOC_RESEND_SKIP:
		return ldm_send_ioctl_resend_skip(dom, file,
						      (void __user *)arg);
	case LDM_IOC_SESSION_KEY:
		return ldm_session_ioctl_key(dom, file, (void __user *)arg);
	case LDM_IOC_SESSION_REKEY:
		return ldm_session_ioctl_rekey(dom, file, (void __user *)arg);
	case LDM_IOC_POSTCOPY:
		return ldm_receive_ioctl_postcopy(dom, file, (void __user *)arg);
	case LDM_IOC_POSTCOPY_REQUESTS:
		return ldm_receive_ioctl_requests(dom, file,
						  (void __user *)arg);
	case LDM_IOC_URGENT:
		return ldm_send_ioctl_urgent(dom, file, (void __user *)arg);
	case LDM_IOC_ROUND_PAGES:
		return ldm_send_ioctl_round_pages(dom, file,
						  (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static __poll_t ldm_fop_poll(struct file *file, poll_table *wait)
{
	struct ldm_domain *dom = file->private_data;
	struct ldm_session *s;
	__poll_t mask;

	mutex_lock(&dom->session_lock);
	s = ldm_session_of(dom, file);
	if (!IS_ERR(s)) {
		mask = ldm_ring_poll(s->ring, file, wait, s->sending);
		/* Post-copy: faults ask for pages (ldm_vm_fault_missing()). */
		if (dom->postcopy && ldm_postcopy_asking(dom->postcopy))
			mask |= EPOLLPRI;
	} else {
		poll_wait(file, &dom->poll_wq, wait);
		mask = EPOLLERR;
	}
	mutex_unlock(&dom->session_lock);
	return mask;
}

static int ldm_fop_open(struct inode *inode, struct file *file)
{
	struct ldm_domain *dom = ldm_domain_open(iminor(inode));

	if (!dom)
		return -ENXIO;
	file->private_data = dom;
	file->f_mapping = dom->inode->i_mapping;
	return 0;
}

static int ldm_fop_release(struct inode *inode, struct file *file)
{
	struct ldm_domain *dom = file->private_data;

	ldm_session_file_closed(dom, file);
	ldm_domain_close(dom);
	return 0;
}

static const struct file_operations ldm_fops = {
	.owner = THIS_MODULE,
	.open = ldm_fop_open,
	.release = ldm_fop_release,
	.llseek = ldm_fop_llseek,
	.mmap = ldm_fop_mmap,
	.unlocked_ioctl = ldm_fop_ioctl,
	.poll = ldm_fop_poll,
	.compat_ioctl = compat_ptr_ioctl,
};

/**
 * ldm_node_init() - make the nodes usable: device region, class, inodes
 *
 * Return: 0 or -errno.
 */
int ldm_node_init(void)
{
	return ldm_devnode_init(&ldm_fops);
}

/**
 * ldm_node_uninit() - undo ldm_node_init(); every domain is gone
 */
void ldm_node_uninit(void)
{
	ldm_devnode_uninit();
}

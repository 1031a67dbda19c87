// SPDX-License-Identifier: GPL-2.0
/*
 * hangdrv: a PCI driver whose remove() never returns, for the kernel bench's
 * hung-driver-remove scenario. It binds QEMU's pci-testdev (1b36:0005) and,
 * when asked to let go (unbind), sleeps uninterruptibly on a completion that
 * only the test's release completes: the writer of the unbind stays in D
 * state, as with a real driver hung in its remove(). Nothing else is done to
 * the device.
 *
 * The kernel holds the device's lock all the while, and powering off takes
 * every device's lock: a guest with a remove() still hanging never powers
 * off. So the test ends the hang itself when it has measured what it wants:
 *   echo 1 > /sys/module/hangdrv/parameters/release
 */
#include <linux/completion.h>
#include <linux/module.h>
#include <linux/pci.h>

static DECLARE_COMPLETION(released);

static int release_set(const char *val, const struct kernel_param *kp)
{
	pr_info("hangdrv: released: every remove() waiting returns now\n");
	complete_all(&released);
	return 0;
}

static const struct kernel_param_ops release_ops = { .set = release_set };
module_param_cb(release, &release_ops, NULL, 0200);
MODULE_PARM_DESC(release, "write anything: the hung remove() calls return (the test's cleanup)");

static const struct pci_device_id hangdrv_ids[] = { { PCI_DEVICE(0x1b36,
								 0x0005) }, /* QEMU pci-testdev */
						    {} };
MODULE_DEVICE_TABLE(pci, hangdrv_ids);

static int hangdrv_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	dev_info(&pdev->dev, "hangdrv: bound\n");
	return 0;
}

static void hangdrv_remove(struct pci_dev *pdev)
{
	dev_info(&pdev->dev, "hangdrv: remove() sleeps for ever\n");
	wait_for_completion(&released); /* TASK_UNINTERRUPTIBLE, until the test's release */
	dev_info(&pdev->dev, "hangdrv: remove() returns\n");
}

static struct pci_driver hangdrv_driver = {
	.name = "hangdrv",
	.id_table = hangdrv_ids,
	.probe = hangdrv_probe,
	.remove = hangdrv_remove,
};
module_pci_driver(hangdrv_driver);

MODULE_DESCRIPTION("PCI driver that hangs in remove(), for tests");
MODULE_LICENSE("GPL");

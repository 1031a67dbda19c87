// SPDX-License-Identifier: GPL-2.0
/*
 * hangdrv: a PCI driver whose remove() never returns, for the kernel bench's
 * hung-driver-remove scenario. It binds QEMU's pci-testdev (1b36:0005) and,
 * when asked to let go (unbind), sleeps uninterruptibly on a completion
 * nobody completes: the writer of the unbind stays in D state for good, as
 * with a real driver hung in its remove(). Nothing else is done to the device.
 */
#include <linux/completion.h>
#include <linux/module.h>
#include <linux/pci.h>

static DECLARE_COMPLETION(never_completed);

static const struct pci_device_id hangdrv_ids[] = {
	{ PCI_DEVICE(0x1b36, 0x0005) }, /* QEMU pci-testdev */
	{ }
};
MODULE_DEVICE_TABLE(pci, hangdrv_ids);

static int hangdrv_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	dev_info(&pdev->dev, "hangdrv: bound\n");
	return 0;
}

static void hangdrv_remove(struct pci_dev *pdev)
{
	dev_info(&pdev->dev, "hangdrv: remove() sleeps for ever\n");
	wait_for_completion(&never_completed); /* TASK_UNINTERRUPTIBLE */
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

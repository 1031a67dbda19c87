/* hookctl install: the copy into a storage's snippets, and its refusals. */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int install(const char *root, const char *storage, bool apply, char **out, char **err)
{
	const char *argv[10] = { VH_HOOKCTL, "install", "100", "--root", root };
	int n = 5;
	if (storage) {
		argv[n++] = "--storage";
		argv[n++] = storage;
	}
	if (apply)
		argv[n++] = "--apply";
	argv[n] = NULL;
	return vh_test_run(argv, out, err);
}

static void test_copies_into_local_snippets(void **state)
{
	(void)state;
	char *root = vh_test_scratch_empty(), *out, *err;
	vh_test_write(root, "var/lib/vz/.keep", "");
	assert_int_equal(install(root, NULL, false, &out, &err), 0);
	assert_contains(out, "qm set 100 --hookscript local:snippets/vfio-hook");
	char path[4096];
	struct stat st, built;
	snprintf(path, sizeof(path), "%s/var/lib/vz/snippets/vfio-hook", root);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(stat(VH_VFIO_HOOK, &built), 0);
	assert_int_equal(st.st_size, built.st_size);
	assert_true(st.st_mode & S_IXUSR);
	free(out);
	free(err);
	vh_test_scratch_free(root);
}

static void test_storage_from_storage_cfg(void **state)
{
	(void)state;
	char *root = vh_test_scratch_empty(), *out, *err;
	vh_test_write(root, "etc/pve/storage.cfg",
		      "dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n\n"
		      "dir: scripts\n\tpath /srv/scripts\n\tcontent snippets\n");
	vh_test_write(root, "srv/scripts/.keep", "");
	assert_int_equal(install(root, "scripts", false, &out, &err), 0);
	assert_contains(out, "scripts:snippets/vfio-hook");
	free(out);
	free(err);
	/* local does not hold snippets here */
	assert_int_equal(install(root, "local", false, &out, &err), 2);
	assert_contains(err, "does not hold snippets");
	free(out);
	free(err);
	assert_int_equal(install(root, "../etc", false, &out, &err), 2);
	assert_contains(err, "not a storage id");
	free(out);
	free(err);
	/* --apply changes the live cluster: never with --root */
	assert_int_equal(install(root, "scripts", true, &out, &err), 2);
	assert_contains(err, "cannot go with --root");
	free(out);
	free(err);
	vh_test_scratch_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copies_into_local_snippets),
		cmocka_unit_test(test_storage_from_storage_cfg),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

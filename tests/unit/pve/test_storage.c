/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /etc/pve/storage.cfg as pve-storage's SectionConfig reads it (storage.c),
 * and the snippets directory hookctl install derives from it. */
#include "testlib.h"

#include <string.h>

static const char cfg[] = "# storages of this node\n"
			  "dir: local\n"
			  "\tpath /var/lib/vz\n"
			  "\tcontent iso,vztmpl,backup,snippets\n"
			  "\n"
			  "lvmthin:local-lvm\n"
			  "\tthinpool data\n"
			  "\tcontent rootdir,images\n"
			  "\n"
			  "dir: with-space  \n"
			  "    path /srv/my storage\n"
			  "    content snippetsx,images\n"
			  "\n"
			  "dir: local\n"
			  "\tpath /elsewhere\n"
			  "\n"
			  "dir: ended\n"
			  "\tcontent images\n"
			  "\n"
			  "\tpath /not/in/a/section\n"
			  "nfs: nas\n"
			  "\tserver 10.0.0.2\n"
			  "\tcontent snippets\n";

static struct vh_storage parse(const char *id, int want)
{
	struct vh_storage st;
	assert_int_equal(vh_storage_parse(cfg, strlen(cfg), id, &st), want);
	return st;
}

static void test_sections(void **state)
{
	(void)state;
	struct vh_storage st = parse("local", 0);
	assert_string_equal(st.type, "dir");
	assert_string_equal(st.path, "/var/lib/vz"); /* the first section of an id wins */
	assert_true(st.snippets);
	st = parse("local-lvm", 0); /* no space after the colon */
	assert_string_equal(st.type, "lvmthin");
	assert_string_equal(st.path, "");
	assert_false(st.snippets);
	st = parse("with-space", 0);
	assert_string_equal(st.path, "/srv/my storage"); /* a value runs to the line's end */
	assert_false(st.snippets);                       /* snippetsx is another word */
	st = parse("ended", 0);
	assert_string_equal(st.path, ""); /* the blank line ended its section */
	parse("missing", -1);
	parse("", -1);
}

static void test_header_grammar(void **state)
{
	(void)state;
	struct vh_storage st;
	const char *bad[] = { "dir local\n\tpath /x\n", ": local\n\tpath /x\n",
			      "dir: local extra\n", "dir:\n\tpath /x\n", " dir: local\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(vh_storage_parse(bad[i], strlen(bad[i]), "local", &st), -1);
	const char nul[] = "dir: lo\0cal\n\tpath /x\n";
	assert_int_equal(vh_storage_parse(nul, sizeof(nul) - 1, "local", &st), -1);
	char long_path[VH_STORAGE_PATH_MAX + 200];
	int n = snprintf(long_path, sizeof(long_path), "nfs: local\n\tpath /");
	memset(long_path + n, 'a', sizeof(long_path) - (size_t)n - 1);
	long_path[sizeof(long_path) - 1] = '\0';
	assert_int_equal(vh_storage_parse(long_path, strlen(long_path), "local", &st), 0);
	assert_true(st.path_too_long); /* never a cut path: it would name another directory */
	assert_string_equal(st.path, "");
	const char crlf[] = "dir: local\r\n\tpath /x\r\n\tcontent snippets\r\n";
	assert_int_equal(vh_storage_parse(crlf, strlen(crlf), "local", &st), 0);
	assert_string_equal(st.path, "/x");
	assert_true(st.snippets);
}

static void test_storage_ids(void **state)
{
	(void)state;
	assert_true(vh_storage_id_valid("local"));
	assert_true(vh_storage_id_valid("nas-01.b_c"));
	assert_false(vh_storage_id_valid("1local"));
	assert_false(vh_storage_id_valid("l"));
	assert_false(vh_storage_id_valid("../etc"));
	assert_false(vh_storage_id_valid("a/b"));
}

static int snippets_dir(const char *root, const char *id, char *out, struct vh_err *err)
{
	struct vh_host *h = vh_host_new(root, err);
	assert_non_null(h);
	int rc = vh_storage_snippets_dir(h, id, out, VH_STORAGE_PATH_MAX, err);
	vh_host_free(h);
	return rc;
}

static void test_snippets_dir(void **state)
{
	(void)state;
	char *root = vh_test_scratch_empty(), out[VH_STORAGE_PATH_MAX];
	struct vh_err err;
	/* a fresh node without storage.cfg has local at /var/lib/vz */
	assert_int_equal(snippets_dir(root, "local", out, &err), 0);
	assert_string_equal(out, "/var/lib/vz");
	assert_int_equal(snippets_dir(root, "nas", out, &err), -1);
	assert_contains(err.msg, "cannot read");
	vh_test_write(root, "etc/pve/storage.cfg", cfg);
	assert_int_equal(snippets_dir(root, "nas", out, &err), 0);
	assert_string_equal(out, "/mnt/pve/nas"); /* where Proxmox mounts an nfs storage */
	assert_int_equal(snippets_dir(root, "with-space", out, &err), -1);
	assert_contains(err.msg, "pvesm set with-space --content <current>,snippets");
	assert_int_equal(snippets_dir(root, "local-lvm", out, &err), -1);
	assert_contains(err.msg, "not a directory storage");
	assert_int_equal(snippets_dir(root, "../x", out, &err), -1);
	assert_contains(err.msg, "not a storage id");
	vh_test_write(root, "etc/pve/storage.cfg",
		      "dir: up\n\tpath /srv/../etc\n\tcontent snippets\n"
		      "\ndir: rel\n\tpath srv\n\tcontent snippets\n");
	assert_int_equal(snippets_dir(root, "up", out, &err), -1);
	assert_int_equal(snippets_dir(root, "rel", out, &err), -1);
	vh_test_scratch_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_header_grammar),
		cmocka_unit_test(test_storage_ids),
		cmocka_unit_test(test_snippets_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

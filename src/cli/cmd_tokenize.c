/*
 * cmd_tokenize.c — `cristal tokenize`: the token ids of a text under a
 * model's tokenizer (the same ids llama.cpp's llama_tokenize gives).
 *
 *   cristal tokenize --model NAME|PATH [--no-bos] [--no-special] [--json]
 *       [--pieces] TEXT|-
 *   cristal tokenize --model NAME|PATH [--no-bos] [--no-special] --batch [--decode]
 *
 * TEXT "-" reads the text from stdin. Ids are printed one per line, or as
 * one JSON array with --json; --pieces prints "id<TAB>piece" lines.
 * --no-bos leaves out BOS/EOS ([CLS]/[SEP] for BERT) that the vocabulary
 * would add; --no-special spells special tokens such as <|im_start|> out as
 * text instead of parsing them.
 * --batch reads JSON Lines from stdin (each line one JSON string) and
 * prints one JSON array of ids per line (an input line that is not a JSON
 * string gives "null"), so test drivers tokenize thousands of strings with
 * one load. With --decode each line also gives, after a tab, the hex of the
 * UTF-8 text the ids decode back to (cr_tok_decode; text that is not valid UTF-8 goes
 * through cr_utf8_sanitize), for
 * comparison with llama_detokenize. The model may be a vocab-only GGUF:
 * only the metadata is read.
 */
#include "cli.h"
#include "cristal/llm.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int cmd_model_resolve(cr_cli *cli, const char *cmd, const char *arg, char *path, size_t cap);

static cr_err read_stdin(cr_buf *b)
{
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, stdin)) > 0) {
		cr_err e = cr_buf_add(b, tmp, n);
		if (e)
			return e;
	}
	return ferror(stdin) ? CR_EIO : CR_OK;
}

static void print_ids_json(const cr_buf *ids)
{
	const cr_token_id *v = (const cr_token_id *)ids->data;
	size_t n = ids->len / sizeof *v;
	putchar('[');
	for (size_t i = 0; i < n; i++)
		printf(i ? ",%d" : "%d", v[i]);
	putchar(']');
}

static int batch(const cr_tok *t, int flags, int decode)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	cr_buf ids;
	cr_buf_init(&ids, 0);
	int rc = 0;
	while ((len = getline(&line, &cap, stdin)) > 0) {
		json_error_t je;
		json_t *j = json_loadb(line, (size_t)len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
		if (!j || !json_is_string(j)) {
			puts("null");
			json_decref(j);
			continue;
		}
		cr_buf_reset(&ids);
		cr_err e = cr_tok_encode(t, json_string_value(j), json_string_length(j), flags, &ids);
		json_decref(j);
		if (e) {
			puts("null");
			rc = 1;
			continue;
		}
		if (decode) {
			cr_buf txt, clean;
			cr_buf_init(&txt, 0);
			cr_buf_init(&clean, 0);
			e = cr_tok_decode(t, (const cr_token_id *)ids.data, ids.len / sizeof(cr_token_id),
					  (flags & CR_TOK_PARSE_SPECIAL) ? CR_TOK_DECODE_SPECIAL : 0, &txt);
			if (!e && cr_utf8_valid((const uint8_t *)txt.data, txt.len))
				e = cr_buf_add(&clean, txt.data, txt.len);
			else if (!e)
				e = cr_utf8_sanitize(&clean, (const uint8_t *)txt.data, txt.len);
			if (e) {
				puts("null");
				rc = 1;
			} else {
				print_ids_json(&ids);
				putchar('\t');
				for (size_t k = 0; k < clean.len; k++)
					printf("%02x", (unsigned char)clean.data[k]);
				putchar('\n');
			}
			cr_buf_release(&txt);
			cr_buf_release(&clean);
			continue;
		}
		print_ids_json(&ids);
		putchar('\n');
	}
	free(line);
	cr_buf_release(&ids);
	return rc;
}

int cmd_tokenize(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"model", required_argument, 0, 'm'}, {"no-bos", no_argument, 0, 'B'},
		{"no-special", no_argument, 0, 'S'},  {"json", no_argument, 0, 'j'},
		{"pieces", no_argument, 0, 'p'},      {"batch", no_argument, 0, 'b'},
		{"decode", no_argument, 0, 'd'},      {"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *model = NULL;
	int no_bos = 0, no_special = 0, json = 0, pieces = 0, is_batch = 0, decode = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': model = optarg; break;
		case 'B': no_bos = 1; break;
		case 'S': no_special = 1; break;
		case 'j': json = 1; break;
		case 'p': pieces = 1; break;
		case 'b': is_batch = 1; break;
		case 'd': decode = 1; break;
		case 'h':
			printf("usage: cristal tokenize --model NAME|PATH [--no-bos] [--no-special] [--json] [--pieces] "
			       "TEXT|-\n       cristal tokenize --model NAME|PATH [--no-bos] [--no-special] --batch [--decode]  "
			       "(JSON Lines of strings on stdin)\n");
			return 0;
		default:
			return 2;
		}
	}
	if (!is_batch && optind != argc - 1)
		return cli_usage_fail(argv[0], "expected one TEXT argument (or - for stdin); see --help");
	char path[4096];
	int rc = cmd_model_resolve(cli, argv[0], model, path, sizeof path);
	if (rc)
		return rc;
	cr_msg m = {{0}};
	cr_gguf *g = NULL;
	cr_tok *t = NULL;
	cr_err e = cr_gguf_open(path, &g, &m);
	if (!e)
		e = cr_tok_new(g, &t, &m);
	if (e) {
		cr_gguf_free(g);
		return cli_fail(argv[0], "%s", m.text[0] ? m.text : cr_strerror(e));
	}
	int flags = (no_bos ? 0 : CR_TOK_ADD_BOS) | (no_special ? 0 : CR_TOK_PARSE_SPECIAL);
	if (is_batch) {
		rc = batch(t, flags, decode);
		goto done;
	}
	cr_buf text, ids;
	cr_buf_init(&text, 0);
	cr_buf_init(&ids, 0);
	const char *arg = argv[optind];
	if (!strcmp(arg, "-"))
		e = read_stdin(&text);
	else
		e = cr_buf_adds(&text, arg);
	if (!e)
		e = cr_tok_encode(t, text.data, text.len, flags, &ids);
	if (e) {
		rc = cli_fail(argv[0], "%s", cr_strerror(e));
	} else if (json) {
		print_ids_json(&ids);
		putchar('\n');
	} else {
		const cr_token_id *v = (const cr_token_id *)ids.data;
		cr_buf piece;
		cr_buf_init(&piece, 0);
		for (size_t i = 0; i < ids.len / sizeof *v; i++) {
			if (!pieces) {
				printf("%d\n", v[i]);
				continue;
			}
			cr_buf_reset(&piece);
			CR_IGNORE(cr_tok_piece(t, v[i], &piece));
			printf("%d\t", v[i]);
			for (size_t k = 0; k < piece.len; k++) {
				unsigned char ch = (unsigned char)piece.data[k];
				if (ch == '\n')
					fputs("\\n", stdout);
				else if (ch == '\t')
					fputs("\\t", stdout);
				else if (ch < 0x20)
					printf("\\x%02x", ch);
				else
					putchar(ch);
			}
			putchar('\n');
		}
		cr_buf_release(&piece);
	}
	cr_buf_release(&text);
	cr_buf_release(&ids);
done:
	cr_tok_free(t);
	cr_gguf_free(g);
	return rc;
}

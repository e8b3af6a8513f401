/* test_llm_chat.c — chat templates: the exact prompt text of each family,
 * and detection from the Jinja template text models ship. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "cristal/llm.h"

static const cr_chat_msg conv[] = {
	{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello!"}, {"user", "2+2?"},
};

static void check(const char *name, const char *want)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	cr_msg m = {{0}};
	assert_int_equal(cr_chat_apply(name, NULL, conv, 4, 1, &b, &m), CR_OK);
	assert_string_equal(b.data, want);
	cr_buf_release(&b);
}

static void test_formats(void **st)
{
	check("chatml", "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
			"<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n"
			"<|im_start|>assistant\n");
	check("llama3", "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
			"<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
			"<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
			"<|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|>"
			"<|start_header_id|>assistant<|end_header_id|>\n\n");
	check("llama2", "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello!</s><s>[INST] 2+2? [/INST]");
	check("mistral", "[INST] Be brief.\n\nHi [/INST] Hello!</s>[INST] 2+2? [/INST]");
	check("gemma", "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello!"
		       "<end_of_turn>\n<start_of_turn>user\n2+2?<end_of_turn>\n<start_of_turn>model\n");
	check("phi3", "<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello!<|end|>\n"
		      "<|user|>\n2+2?<|end|>\n<|assistant|>\n");
	check("zephyr", "<|system|>\nBe brief.</s>\n<|user|>\nHi</s>\n<|assistant|>\nHello!</s>\n"
			"<|user|>\n2+2?</s>\n<|assistant|>\n");
}

static void test_detect(void **st)
{
	/* fragments of the templates shipped with real models */
	assert_string_equal(cr_chat_detect("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n'"
					   " + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"), "chatml");
	assert_string_equal(cr_chat_detect("{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' }}"),
			    "llama3");
	assert_string_equal(cr_chat_detect("{{ bos_token + '[INST] ' + '<<SYS>>\\n' + system_message }}"), "llama2");
	assert_string_equal(cr_chat_detect("{{ '[INST] ' + message['content'] + ' [/INST]' }}"), "mistral");
	assert_string_equal(cr_chat_detect("{{ '<start_of_turn>' + role + '\\n' }}"), "gemma");
	assert_string_equal(cr_chat_detect("{{'<|user|>' + '\\n' + message['content'] + '<|end|>'}}{{'<|assistant|>'}}"),
			    "phi3");
	assert_string_equal(cr_chat_detect("{{ '<|user|>\\n' + message['content'] + eos_token }}"), "zephyr");
	assert_null(cr_chat_detect("{{ message['content'] }}"));
	assert_null(cr_chat_detect(NULL));

	/* picked from the template text when no name is given */
	cr_buf b;
	cr_buf_init(&b, 0);
	cr_chat_msg u = {"user", "x"};
	assert_int_equal(cr_chat_apply(NULL, "<|im_start|>", &u, 1, 0, &b, NULL), CR_OK);
	assert_string_equal(b.data, "<|im_start|>user\nx<|im_end|>\n");
	cr_msg m = {{0}};
	assert_int_equal(cr_chat_apply(NULL, "nothing known", &u, 1, 1, &b, &m), CR_ENOTFOUND);
	assert_int_equal(cr_chat_apply("nope", NULL, &u, 1, 1, &b, &m), CR_EINVAL);
	assert_non_null(strstr(m.text, "nope"));
	cr_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_formats), cmocka_unit_test(test_detect)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

typedef int cr_llm_placeholder_t;

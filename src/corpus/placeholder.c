typedef int cr_corpus_placeholder_t;

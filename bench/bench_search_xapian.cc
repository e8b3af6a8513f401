// bench_search_xapian.cc — the Xapian side of bench_search.c (Debian's
// libxapian): title and body indexed with the English stemmer (title terms
// also with wdf weight 2 and an "S" prefix, like Xapian's omega does), OR
// queries parsed with the same stemmer, ranked by BM25Weight, top k.
#include <xapian.h>

#include <cstdio>
#include <string>

namespace {
struct bx {
	Xapian::WritableDatabase *wdb = nullptr;
	Xapian::Database *rdb = nullptr;
	Xapian::TermGenerator tg;
	Xapian::QueryParser qp;
	Xapian::Enquire *enq = nullptr;
};
} // namespace

extern "C" void *bx_open(const char *dir)
{
	try {
		bx *h = new bx;
		h->wdb = new Xapian::WritableDatabase(dir, Xapian::DB_CREATE_OR_OVERWRITE);
		h->tg.set_stemmer(Xapian::Stem("english"));
		h->tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
		return h;
	} catch (const Xapian::Error &e) {
		fprintf(stderr, "xapian: %s\n", e.get_msg().c_str());
		return nullptr;
	}
}

extern "C" int bx_add(void *p, const char *title, size_t tl, const char *body, size_t bl)
{
	bx *h = static_cast<bx *>(p);
	try {
		Xapian::Document doc;
		h->tg.set_document(doc);
		if (tl) {
			h->tg.index_text(std::string(title, tl), 1, "S");
			h->tg.index_text(std::string(title, tl), 2);
			h->tg.increase_termpos();
		}
		h->tg.index_text(std::string(body, bl));
		h->wdb->add_document(doc);
		return 0;
	} catch (const Xapian::Error &e) {
		fprintf(stderr, "xapian: %s\n", e.get_msg().c_str());
		return 1;
	}
}

extern "C" int bx_commit(void *p)
{
	bx *h = static_cast<bx *>(p);
	try {
		h->wdb->commit();
		return 0;
	} catch (const Xapian::Error &e) {
		fprintf(stderr, "xapian: %s\n", e.get_msg().c_str());
		return 1;
	}
}

extern "C" void bx_close(void *p)
{
	bx *h = static_cast<bx *>(p);
	if (!h)
		return;
	delete h->enq;
	if (h->wdb)
		h->wdb->close();
	delete h->wdb;
	delete h->rdb;
	delete h;
}

extern "C" void *bx_open_read(const char *dir)
{
	try {
		bx *h = new bx;
		h->rdb = new Xapian::Database(dir);
		h->qp.set_database(*h->rdb);
		h->qp.set_stemmer(Xapian::Stem("english"));
		h->qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
		h->qp.set_default_op(Xapian::Query::OP_OR);
		h->enq = new Xapian::Enquire(*h->rdb);
		h->enq->set_weighting_scheme(Xapian::BM25Weight());
		return h;
	} catch (const Xapian::Error &e) {
		fprintf(stderr, "xapian: %s\n", e.get_msg().c_str());
		return nullptr;
	}
}

extern "C" int bx_search(void *p, const char *q, int k)
{
	bx *h = static_cast<bx *>(p);
	try {
		h->enq->set_query(h->qp.parse_query(q));
		Xapian::MSet m = h->enq->get_mset(0, (Xapian::doccount)k);
		int n = 0;
		for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it)
			n += *it != 0;
		return n;
	} catch (const Xapian::Error &e) {
		return 0;
	}
}

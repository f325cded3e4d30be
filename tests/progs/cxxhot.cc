// A C++ program whose CPU goes to mangled functions, for pprof's function system names and
// start lines (tests/pprof_test.sh): hot::mix() burns, called from hot::Burner::run().
// Usage: cxxhot SECONDS
#include <cstdlib>
#include <ctime>

namespace hot {
__attribute__((noinline)) double mix(double x, int n)
{
	for (int i = 0; i < n; i++)
		x = x * 1.0000001 + 0.5;
	return x;
}

struct Burner {
	__attribute__((noinline)) double run(double seconds);
};

double Burner::run(double seconds)
{
	struct timespec t0, t;
	double x = 1;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	do {
		x = mix(x, 100000);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
	return x;
}
} // namespace hot

int main(int argc, char **argv)
{
	hot::Burner b;

	return b.run(argc > 1 ? std::atof(argv[1]) : 0.3) > 0 ? 0 : 1;
}

/* Loads a plugin by bare name, found only through this program's DT_RUNPATH ($ORIGIN/plugins):
 * interposing dlopen must not change which objects a program can load. */
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
	void *h = dlopen("libinflame-testplugin.so", RTLD_NOW);
	int (*fn)(void);

	if (!h) {
		printf("dlopen failed: %s\n", dlerror());
		return 1;
	}
	*(void **)&fn = dlsym(h, "inflame_test_plugin");
	printf("plugin says %d\n", fn ? fn() : -1);
	dlclose(h);
	return 0;
}

/* A plugin loaded by tests/progs/dlopen_runpath through its DT_RUNPATH. */
int inflame_test_plugin(void)
{
	return 42;
}

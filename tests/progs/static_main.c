/* A statically linked program, which LD_PRELOAD cannot reach. */
int inflame_test_plugin(void);

int main(void)
{
	return inflame_test_plugin() == 42 ? 0 : 1;
}

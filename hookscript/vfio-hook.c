/* vfio-hook: placeholder */
int main(void) { return 0; }

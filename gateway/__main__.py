from gateway._cli import main

main()

/usr/bin/python3 "$SERVICES/python_mp.py"
echo "exit $?"
